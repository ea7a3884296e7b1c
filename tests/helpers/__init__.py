"""What the tests share that is not a fixture: paths, the CLI runners, a local HTTP server,
a web home builder. Importable as ``helpers.X`` (pytest puts tests/ on sys.path)."""
