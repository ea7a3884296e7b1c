"""Evaluation: public benchmarks, their protocols, metrics and the methods compared.

Each dataset module (``csfcube``, ``citeulike``, ``authors``) reads a dataset from a path the
user gives (nothing is downloaded or shipped) and returns an :class:`EvalReport`: one row per
(method, split) with the metrics averaged over the split's queries or users. ``paperradar
eval DATASET --data PATH`` prints it; docs/evaluation.md explains each protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class EvalRow:
    """One method on one split: metric name -> mean over ``n`` queries (or users)."""

    method: str
    split: str
    metrics: dict[str, float]
    n: int
    #: metric name -> half-width of a 95% interval of the mean (1.96 standard errors)
    ci95: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class EvalReport:
    dataset: str
    protocol: str  # one line: what was measured, how queries/users and splits were drawn
    rows: list[EvalRow] = field(default_factory=list)
    #: published figures to print beside ours: (source, split, metric) -> value
    published: dict[tuple[str, str, str], float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def metric_names(self) -> list[str]:
        names: list[str] = []
        for row in self.rows:
            names.extend(m for m in row.metrics if m not in names)
        return names
