"""``python -m paperradar``: the same as the ``paperradar`` command."""

from paperradar.cli import main

main()
