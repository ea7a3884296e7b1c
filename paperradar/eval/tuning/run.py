"""``paperradar eval tune``: every knob chosen on TUNE units of every benchmark given, in
order (aggregation and keyword weight, feedback blend, text fields), and reported on REPORT
units (see paperradar.eval.tuning.rule for the rule, paperradar.eval.tuning.sets for the splits).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from paperradar.errors import UsageError
from paperradar.eval.tuning.rule import (
    HALVES,
    KS,
    TEXTS,
    WEIGHTS,
    Benchmark,
    Choice,
    Paired,
    Progress,
    choose,
    measure_config,
    measure_feedback,
    measure_grid,
)
from paperradar.radar.ranking import RankingConfig

GRID_KNOB = "k_nearest, keyword_weight"
FEEDBACK_KNOB = "feedback_half"
TEXT_KNOB = "text fields"


@dataclass(slots=True)
class TuningReport:
    """What was measured and chosen; every figure is a mean over units."""

    benchmarks: list[dict[str, Any]]
    before: RankingConfig
    after: RankingConfig
    choices: list[Choice]
    #: benchmark -> REPORT figure of the feedback task without the classifier, and of
    #: the chosen feedback_half (context for the feedback choice)
    no_classifier: dict[str, Paired] = field(default_factory=dict)
    #: benchmark -> REPORT, the "before" defaults against the "after" ones (no feedback, so
    #: only k_nearest and keyword_weight count; a change of text fields is its own choice)
    overall: dict[str, Paired] = field(default_factory=dict)
    seconds: float = 0.0


def _label(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        k, w = value
        return f"k={'all' if k >= KS[-1] else k}, w={w:g}"
    return str(value)


def _count(progress: Progress | None, stage: str, total: int) -> Any:
    done = [0]

    def step() -> None:
        done[0] += 1
        if progress:
            progress(stage, done[0], total)

    return step


def run(
    benchmarks: Sequence[Benchmark],
    base: RankingConfig | None = None,
    progress: Progress | None = None,
) -> TuningReport:
    """Tune ``base`` (default: the product's RankingConfig) on ``benchmarks`` (>= 2)."""
    started = time.perf_counter()
    base = base or RankingConfig()
    if len(benchmarks) < 2:
        raise UsageError("tuning needs at least two benchmarks: no default is tuned on one")
    names = [b.name for b in benchmarks]
    if len(set(names)) != len(names):
        raise UsageError(f"a benchmark given twice: {', '.join(names)}")
    current = (base.k_nearest, base.keyword_weight)
    ks = sorted({*KS, base.k_nearest})
    weights = sorted({*WEIGHTS, base.keyword_weight})

    # 1. aggregation x keyword weight, on TUNE
    per_value: dict[Any, dict[str, list[float]]] = {(k, w): {} for k in ks for w in weights}
    for bench in benchmarks:
        step = _count(progress, f"tune {bench.name}", len(bench.tune))
        grid = measure_grid(bench, bench.tune, base, ks=ks, weights=weights, progress=step)
        for value, figures in grid.values.items():
            per_value[value][bench.name] = figures
    grid_choice = choose(GRID_KNOB, current, per_value)
    k, w = grid_choice.chosen
    for bench in benchmarks:
        step = _count(progress, f"report {bench.name}", len(bench.report))
        pair = sorted({current, grid_choice.chosen})
        grid = measure_grid(
            bench, bench.report, base, ks=sorted({p[0] for p in pair}),
            weights=sorted({p[1] for p in pair}), progress=step,
        )  # fmt: skip
        grid_choice.report[bench.name] = Paired.of(
            grid.values[current], grid.values[grid_choice.chosen]
        )
    config = replace(base, k_nearest=k, keyword_weight=w)
    choices = [grid_choice]

    # 2. the feedback blend, with the chosen k and w
    with_feedback = [b for b in benchmarks if b.has_feedback]
    no_classifier: dict[str, Paired] = {}
    if len(with_feedback) >= 2:
        halves = sorted({*HALVES, base.feedback_half})
        fb_values: dict[Any, dict[str, list[float]]] = {h: {} for h in halves}
        for bench in with_feedback:
            step = _count(progress, f"feedback {bench.name}", len(halves))
            for half in halves:
                fb_values[half][bench.name] = measure_feedback(
                    bench, bench.tune, replace(config, feedback_half=half)
                )
                step()
        fb_choice = choose(FEEDBACK_KNOB, base.feedback_half, fb_values)
        for bench in with_feedback:
            before = measure_feedback(bench, bench.report, config)
            after = (
                before
                if fb_choice.chosen == base.feedback_half
                else measure_feedback(
                    bench, bench.report, replace(config, feedback_half=fb_choice.chosen)
                )
            )
            fb_choice.report[bench.name] = Paired.of(before, after)
            plain = measure_feedback(bench, bench.report, config, classifier=False)
            no_classifier[bench.name] = Paired.of(plain, after)
        config = replace(config, feedback_half=fb_choice.chosen)
        choices.append(fb_choice)

    # 3. text fields, with everything chosen so far
    with_titles = [b for b in benchmarks if TEXTS[1] in b.items]
    if len(with_titles) >= 2:
        text_values: dict[Any, dict[str, list[float]]] = {t: {} for t in TEXTS}
        for bench in with_titles:
            for text in TEXTS:
                text_values[text][bench.name] = measure_config(bench, bench.tune, config, text)
        text_choice = choose(TEXT_KNOB, TEXTS[0], text_values)
        for bench in with_titles:
            text_choice.report[bench.name] = Paired.of(
                measure_config(bench, bench.report, config, TEXTS[0]),
                measure_config(bench, bench.report, config, text_choice.chosen),
            )
        choices.append(text_choice)

    # without feedback only k and w matter: the grid's REPORT pair is the whole before/after
    overall = dict(grid_choice.report)
    return TuningReport(
        [
            {
                "name": b.name,
                "metric": b.metric,
                "tune": len(b.tune),
                "report": len(b.report),
                "protocol": b.protocol,
            }
            for b in benchmarks
        ],
        base,
        config,
        choices,
        no_classifier,
        overall,
        time.perf_counter() - started,
    )


# --------------------------------------------------------------------------- output


def _pair(p: Paired, digits: int = 4) -> str:
    d = digits
    return f"{p.before:.{d}f} -> {p.after:.{d}f} ({p.diff:+.{d}f} ± {p.ci95:.{d}f})"


def format_tuning(report: TuningReport) -> str:
    """The report as text: benchmarks, each knob's TUNE table and decision, REPORT figures."""
    lines = ["Tuning the ranking's defaults: chosen on TUNE units, reported on REPORT units", ""]
    for b in report.benchmarks:
        lines.append(
            f"  {b['name']:<10} {b['metric']:<10} TUNE {b['tune']:>4}  REPORT {b['report']:>4}"
            f"  {b['protocol']}"
        )
    for number, choice in enumerate(report.choices, start=1):
        benches = list(next(iter(choice.tune.values())))
        lines += ["", f"{number}. {choice.knob} (current {_label(choice.current)})", ""]
        header = f"  {'value':<16}" + "".join(f"{b:>12}" for b in benches)
        lines.append(header + f"{'worst rel.':>12}{'mean rel.':>11}   (TUNE)")
        ranked = sorted(choice.tune, key=lambda v: (-choice.relative[v], -choice.mean_relative[v]))
        shown = ranked if len(ranked) <= 12 else ranked[:10]
        if choice.current not in shown:
            shown.append(choice.current)
        for value in shown:
            mark = " *" if value == choice.candidate else ""
            mark += "  (current)" if value == choice.current else ""
            cells = "".join(f"{choice.tune[value][b]:>12.4f}" for b in benches)
            worst, mean = 100 * choice.relative[value], 100 * choice.mean_relative[value]
            lines.append(f"  {_label(value):<16}{cells}{worst:>+11.2f}%{mean:>+10.2f}%{mark}")
        if len(ranked) > len(shown):
            lines.append(f"  … {len(ranked) - len(shown)} more values (all in --json)")
        verdict = "adopted" if choice.adopted else "not adopted"
        lines.append(f"  best on TUNE: {_label(choice.candidate)}: {verdict}: {choice.reason}")
        for bench, p in choice.tune_paired.items():
            lines.append(f"    TUNE   {bench:<10} current -> best  {_pair(p)}")
        for bench, p in choice.report.items():
            lines.append(f"    REPORT {bench:<10} current -> chosen {_pair(p)}")
        if choice.knob == FEEDBACK_KNOB:
            for bench, p in report.no_classifier.items():
                lines.append(f"    REPORT {bench:<10} no classifier -> chosen {_pair(p)}")
    lines += [
        "",
        f"defaults before: {_config(report.before)}",
        f"defaults after:  {_config(report.after)}",
    ]
    for bench, p in report.overall.items():
        lines.append(f"  REPORT {bench:<10} before -> after (no feedback) {_pair(p)}")
    lines.append(f"({report.seconds:.0f} s)")
    return "\n".join(lines) + "\n"


def _config(config: RankingConfig) -> str:
    return (
        f"k_nearest={config.k_nearest}, keyword_weight={config.keyword_weight:g}, "
        f"feedback_half={config.feedback_half:g}"
    )


def tuning_to_json(report: TuningReport) -> dict[str, Any]:
    """The report as JSON-ready data (values as labels)."""

    def number(x: float) -> float | None:
        return None if isinstance(x, float) and not math.isfinite(x) else x

    def choice(c: Choice) -> dict[str, Any]:
        return {
            "knob": c.knob,
            "current": _label(c.current),
            "best_on_tune": _label(c.candidate),
            "chosen": _label(c.chosen),
            "adopted": c.adopted,
            "reason": c.reason,
            "tune": {_label(v): by for v, by in c.tune.items()},
            "worst_relative_change": {_label(v): r for v, r in c.relative.items()},
            "mean_relative_change": {_label(v): r for v, r in c.mean_relative.items()},
            "tune_best_vs_current": {b: asdict(p) for b, p in c.tune_paired.items()},
            "report_chosen_vs_current": {b: asdict(p) for b, p in c.report.items()},
        }

    return {
        "benchmarks": report.benchmarks,
        "before": asdict(report.before),
        "after": asdict(report.after),
        "choices": [choice(c) for c in report.choices],
        "report_no_classifier_vs_chosen": {b: asdict(p) for b, p in report.no_classifier.items()},
        "report_before_vs_after": {b: asdict(p) for b, p in report.overall.items()},
        "seconds": number(round(report.seconds, 1)),
    }
