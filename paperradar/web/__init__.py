"""The web app (``paperradar serve``): see :mod:`paperradar.web.app` and docs/web.md."""
