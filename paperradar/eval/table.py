"""Print an :class:`EvalReport`: a plain-text table, or a JSON-ready dict.

The table has one row per (method, split), in the report's order, and one column per metric;
a cell is ``mean ±half-width`` where the 95% interval is known, else the mean. The published
figures follow in the same columns (``-`` where a figure was not published), then the notes.
"""

from __future__ import annotations

import math
from typing import Any

from paperradar.eval import EvalReport


def _cell(value: float | None, ci95: float | None = None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "-"
    if ci95 is None or math.isnan(ci95):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ±{ci95:.{digits}f}"


def _published_rows(report: EvalReport, metrics: list[str]) -> list[list[str]]:
    """One row per (source, split) of the published figures, in the order first met."""
    keys: dict[tuple[str, str], dict[str, float]] = {}
    for (source, split, metric), value in report.published.items():
        keys.setdefault((source, split), {})[metric] = value
    return [
        [source, split, "", *(_cell(values.get(m)) for m in metrics)]
        for (source, split), values in keys.items()
    ]


def _render(rows: list[list[str]], right_from: int) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if i >= right_from else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_report(report: EvalReport, digits: int = 3) -> str:
    """The report as a plain-text table (see the module doc), ending with a newline."""
    metrics = report.metric_names()
    published = [m for (_, _, m) in report.published if m not in metrics]
    metrics.extend(dict.fromkeys(published))
    header = ["method", "split", "n", *metrics]
    body = [
        [
            row.method,
            row.split,
            str(row.n),
            *(_cell(row.metrics.get(m), row.ci95.get(m), digits) for m in metrics),
        ]
        for row in report.rows
    ]
    lines = [f"{report.dataset}: {report.protocol}", ""]
    if body:
        lines.extend(_render([header, *body], right_from=2))
    else:
        lines.append("(no results)")
    if report.published:
        lines += ["", "published:"]
        published_header = ["source", *header[1:]]
        lines.extend(_render([published_header, *_published_rows(report, metrics)], right_from=2))
    if report.notes:
        lines += ["", "notes:"]
        lines.extend(f"- {note}" for note in report.notes)
    return "\n".join(lines) + "\n"


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def report_to_json(report: EvalReport) -> dict[str, Any]:
    """The report as plain JSON types (NaN as null; published figures as a list)."""
    return {
        "dataset": report.dataset,
        "protocol": report.protocol,
        "metrics": report.metric_names(),
        "rows": [
            {
                "method": row.method,
                "split": row.split,
                "n": row.n,
                "metrics": {k: _number(v) for k, v in row.metrics.items()},
                "ci95": {k: _number(v) for k, v in row.ci95.items()},
            }
            for row in report.rows
        ],
        "published": [
            {"source": source, "split": split, "metric": metric, "value": _number(value)}
            for (source, split, metric), value in report.published.items()
        ],
        "notes": list(report.notes),
    }
