"""The fuzzing harness: damaged real files through every reader (see docs/reliability.md)."""
