"""``paperradar eval tune``: the ranking's knobs chosen on TUNE units, reported on REPORT
units (the rule, the benchmark sets, the run)."""
