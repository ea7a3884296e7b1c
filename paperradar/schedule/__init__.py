"""When things run: ``paperradar watch`` and what one scheduled slot does."""
