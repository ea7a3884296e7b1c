"""Readers benchmark: every reader at 1k, 10k and 100k records, and on one huge field.

For each format of paperradar.readers' registry, a valid file of N records is generated in a
temporary folder (not timed) by replicating one real record of the format (a fixture's entry,
or for BibTeX, RIS and CSL-JSON the exporters fed a paper of the shipped arxiv-cs-daily slice)
with distinct ids and titles. A child process per (format, N) then reads it through the
library's reading path (``read_path(path, fmt).records``, counting records; no store) and
reports the time and its peak resident memory above its memory before reading. Printed: CPU
seconds (the machine may be shared; wall time is recorded too), records/s and µs per record
(small files: best of a few reads) beside the same-run baseline (``json.loads`` per line of the same
N records as paperradar's own JSON Lines, the cheapest possible reader), per format the ratio
of µs/record at the largest N to that at 1k and 10k (about 1: linear) and how the peak grows
with N (flat: the reader streams). Then, per format, one record whose abstract is M MiB
(``--field-mib``; by default just below the readers' field-size limit,
``paperradar.readers.limits.MAX_RECORD_CHARS``, and 4x over it; 8 and 32 without a limit):
the peak memory above the start over the field's size, and the outcome (over the limit, a
clean error is the expected one).
Results go to benchmarks/results/readers.json.

    python benchmarks/readers.py [--quick] [--formats a,b] [--field-mib 8,32]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from _lib.child import memory, run_child
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_SLICE, RESULTS_DIR, ROOT, shown

RESULTS = RESULTS_DIR / "readers.json"
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = ROOT / "data" / "seeds"
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
FIELD_MIB = (8, 32)
#: reads of a small file are repeated (best time kept) so that timer noise does not dominate
REPEAT_RECORDS = 20_000
MAX_REPEATS = 5

# --------------------------------------------------------------------------- generating

#: writes a file of ``n`` records; ``abstract``, when given, replaces record 0's abstract
Write = Callable[[Path, int, str | None], None]


def arxiv_id(i: int) -> str:
    """A distinct, valid new-style arXiv id for record ``i`` (up to ~1.2M records)."""
    return f"{2501 + i // 99_999}.{i % 99_999 + 1:05d}"


def title_of(i: int, title: str) -> str:
    """A distinct title whose first word differs too (so export keys never collide)."""
    return f"R{i} {title}"


def write_chunks(path: Path, chunks: Iterator[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        for chunk in chunks:
            fh.write(chunk)


def _xml_writer(fixture: str, tag: str, abstract_tag: str, abstract_after: str = "") -> Write:
    """Replicate the first ``<tag>`` element of an XML fixture. The abstract is the text of
    ``<abstract_tag>`` (after ``abstract_after`` inside it, when given)."""
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    start = text.index(f"<{tag}>")
    end = text.index(f"</{tag}>", start) + len(f"</{tag}>")
    prefix = text[:start]
    element = text[start:end]
    suffix = text[text.rindex(f"</{tag}>") + len(f"</{tag}>") :]
    match = re.search(r"\d{4}\.\d{4,5}", element)
    assert match, fixture
    old_id = match.group(0)
    open_tag, close_tag = f"<{abstract_tag}>", f"</{abstract_tag}>"
    a_start = element.index(open_tag) + len(open_tag)
    if abstract_after:
        a_start = element.index(abstract_after, a_start) + len(abstract_after)
    a_end = element.index(close_tag, a_start)

    def write(path: Path, n: int, abstract: str | None) -> None:
        def chunks() -> Iterator[str]:
            yield prefix
            for i in range(n):
                item = element
                if i == 0 and abstract is not None:
                    item = item[:a_start] + abstract + item[a_end:]
                item = item.replace(old_id, arxiv_id(i)).replace("<title>", f"<title>R{i} ", 1)
                yield item + "\n"
            yield suffix

        write_chunks(path, chunks())

    return write


def slice_record() -> dict[str, Any]:
    """The first record of the shipped arxiv-cs-daily slice."""
    with gzip.open(ARXIV_SLICE, "rt", encoding="utf-8") as fh:
        record: dict[str, Any] = json.loads(fh.readline())
    return record


def slice_papers(n: int, abstract: str | None) -> Iterator[Any]:
    """``n`` papers built from the slice's first record, distinct ids and titles."""
    from paperradar.readers import ReadContext
    from paperradar.readers.jsonl import ARXIV_DAILY_READER

    record = slice_record()
    ctx = ReadContext(origin="slice")
    for i in range(n):
        data = {**record, "id": arxiv_id(i), "title": title_of(i, record["title"])}
        if i == 0 and abstract is not None:
            data["abstract"] = abstract
        yield ARXIV_DAILY_READER.convert(data, ctx, i + 1)


def write_arxiv_daily(path: Path, n: int, abstract: str | None) -> None:
    record = slice_record()

    def chunks() -> Iterator[str]:
        for i in range(n):
            data = {**record, "id": arxiv_id(i), "title": title_of(i, record["title"])}
            if i == 0 and abstract is not None:
                data["abstract"] = abstract
            yield orjson.dumps(data).decode() + "\n"

    write_chunks(path, chunks())


def write_paperradar_json(path: Path, n: int, abstract: str | None) -> None:
    from paperradar.codec import paper_to_dict

    write_chunks(path, (json.dumps(paper_to_dict(p)) + "\n" for p in slice_papers(n, abstract)))


def write_bibtex(path: Path, n: int, abstract: str | None) -> None:
    from paperradar.exports.bibtex import entry
    from paperradar.exports.keys import base_key

    write_chunks(path, (entry(p, base_key(p)) + "\n" for p in slice_papers(n, abstract)))


def write_ris(path: Path, n: int, abstract: str | None) -> None:
    from paperradar.exports.ris import record

    write_chunks(path, (record(p) + "\n" for p in slice_papers(n, abstract)))


def write_csl_json(path: Path, n: int, abstract: str | None) -> None:
    from paperradar.exports.csl_json import item
    from paperradar.exports.keys import base_key

    def chunks() -> Iterator[str]:
        yield "[\n"
        for i, paper in enumerate(slice_papers(n, abstract)):
            text = orjson.dumps(item(paper, base_key(paper)), option=orjson.OPT_INDENT_2)
            yield ("" if i == 0 else ",\n") + text.decode()
        yield "\n]\n"

    write_chunks(path, chunks())


def write_hf_daily(path: Path, n: int, abstract: str | None) -> None:
    items = json.loads((FIXTURES / "hf-daily" / "daily_papers_2025-03-18.json").read_text())
    item = items[0]
    paper = item["paper"]
    title, summary = paper["title"], paper["summary"]

    def chunks() -> Iterator[str]:
        yield "[\n"
        for i in range(n):
            paper["id"] = arxiv_id(i)
            paper["title"] = item["title"] = title_of(i, title)
            paper["summary"] = item["summary"] = summary
            if i == 0 and abstract is not None:  # the reader takes paper.summary first
                paper["summary"] = abstract
            text = orjson.dumps(item, option=orjson.OPT_INDENT_2).decode()
            yield ("" if i == 0 else ",\n") + text
        yield "\n]\n"

    write_chunks(path, chunks())


def write_csv(path: Path, n: int, abstract: str | None) -> None:
    text = (FIXTURES / "csv" / "reading_list.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, row = rows[0], rows[1]
    col = {name: header.index(name) for name in ("arxiv_id", "Title", "Abstract")}

    def chunks() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for i in range(n):
            cells = list(row)
            cells[col["arxiv_id"]] = arxiv_id(i)
            cells[col["Title"]] = title_of(i, row[col["Title"]])
            if i == 0 and abstract is not None:
                cells[col["Abstract"]] = abstract
            writer.writerow(cells)
            if out.tell() > 1 << 20:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    write_chunks(path, chunks())


def write_abstracts(path: Path, n: int, abstract: str | None) -> None:
    first = (SEEDS / "000_9ac8dcb14d57ae94.txt").read_text(encoding="utf-8").splitlines()[0]
    text = first.removeprefix("Abstract:")
    write_chunks(
        path,
        (
            f"Abstract:R{i} {abstract if i == 0 and abstract is not None else text}\n"
            for i in range(n)
        ),
    )


def write_listing(path: Path, n: int, abstract: str | None) -> None:
    lines = (SEEDS / "002_cb8c4f90c784550f.txt").read_text(encoding="utf-8").split("\n")
    header = "\n".join(lines[:12]) + "\n"  # the site's chrome and the page's date, "Nov 27"
    title, blank, text, *meta = lines[12:20]  # title, abstract, "• 4 authors", "·", a date
    assert not blank and meta[0] == "", lines[12:20]

    def chunks() -> Iterator[str]:
        yield header
        for i in range(n):
            body = abstract if i == 0 and abstract is not None else text
            yield "\n".join([title_of(i, title), "", body, *meta]) + "\n"

    write_chunks(path, chunks())


#: format name -> (file name, writer, where its record comes from)
FORMATS: dict[str, tuple[str, Write, str]] = {
    "oai-pmh": (
        "records.xml",
        _xml_writer("oai-pmh/list_records_cs_page1.xml", "record", "abstract"),
        "tests/fixtures/oai-pmh/list_records_cs_page1.xml, first <record>",
    ),
    "arxiv-rss": (
        "items.rss.xml",
        _xml_writer("arxiv-rss/cs.CL_2025-01-06.rss.xml", "item", "description", "Abstract: "),
        "tests/fixtures/arxiv-rss/cs.CL_2025-01-06.rss.xml, first <item>",
    ),
    "arxiv-atom": (
        "entries.xml",
        _xml_writer("arxiv-atom/query_cat_cs_CL.xml", "entry", "summary"),
        "tests/fixtures/arxiv-atom/query_cat_cs_CL.xml, first <entry>",
    ),
    "hf-daily": (
        "daily_papers.json",
        write_hf_daily,
        "tests/fixtures/hf-daily/daily_papers_2025-03-18.json, first item (a JSON array)",
    ),
    "csl-json": (
        "items.json",
        write_csl_json,
        "paperradar.exports.csl_json.item of the slice's first paper (a JSON array)",
    ),
    "arxiv-daily": ("daily.jsonl", write_arxiv_daily, "the slice's first line"),
    "paperradar-json": (
        "papers.jsonl",
        write_paperradar_json,
        "paperradar.codec.paper_to_dict of the slice's first paper",
    ),
    "bibtex": ("papers.bib", write_bibtex, "paperradar.exports.bibtex.entry of it"),
    "ris": ("papers.ris", write_ris, "paperradar.exports.ris.record of it"),
    "abstracts": (
        "abstracts.txt",
        write_abstracts,
        "data/seeds/000_9ac8dcb14d57ae94.txt, first line",
    ),
    "csv": ("papers.csv", write_csv, "tests/fixtures/csv/reading_list.csv, first row"),
    "listing": (
        "listing.txt",
        write_listing,
        "data/seeds/002_cb8c4f90c784550f.txt, chrome + first block",
    ),
}


def huge_text(mib: int) -> str:
    """About ``mib`` MiB of plain one-line prose (the slice's first abstract, repeated)."""
    sentence = " ".join(slice_record()["abstract"].split()) + " "
    size = mib << 20
    return (sentence * (size // len(sentence) + 1))[:size].rstrip()


# --------------------------------------------------------------------------- measuring (child)


def repeats_for(n: int) -> int:
    return max(1, min(MAX_REPEATS, REPEAT_RECORDS // n))


def child_read(path: Path, fmt: str, repeats: int) -> dict[str, Any]:
    """Read ``path`` as ``fmt`` ``repeats`` times: the best time, the records, the peak."""
    from paperradar.errors import PaperRadarError
    from paperradar.models import Paper
    from paperradar.readers import all_readers, detect, read_head, read_path

    all_readers()  # import every reader before measuring
    try:
        sniffed = detect(read_head(path), path.name).name
    except PaperRadarError:  # a huge first field can push the signature out of the head
        sniffed = "unrecognised"
    before = memory()
    best = float("inf")
    papers = bad = longest = 0
    first_bad = ""
    outcome = "read"
    best_cpu = float("inf")
    for _ in range(repeats):
        papers = bad = 0
        started, cpu = time.perf_counter(), time.process_time()
        try:
            for record in read_path(path, fmt).records:
                if isinstance(record, Paper):
                    papers += 1
                    longest = max(longest, len(record.abstract))
                else:
                    bad += 1
                    first_bad = first_bad or f"line {record.line}: {record.reason}"
        except PaperRadarError as exc:
            outcome = f"clean error: {exc}".replace(str(path), path.name)
        except Exception as exc:  # not the contract: a crash, recorded as the outcome
            outcome = f"crash: {type(exc).__name__}: {str(exc)[:200]}"
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        if outcome != "read":
            break
    after = memory()
    return {
        "seconds": best,
        "cpu_seconds": best_cpu,
        "repeats": repeats,
        "papers": papers,
        "bad": bad,
        "longest_abstract": longest,
        "first_bad": first_bad[:300],
        "outcome": outcome,
        "sniffed": sniffed,
        "rss_before_mb": before.get("VmRSS", 0.0),
        "peak_mb": after.get("VmHWM", after["ru_maxrss"]),
        "peak_extra_mb": round(after.get("VmHWM", after["ru_maxrss"]) - before.get("VmRSS", 0), 1),
    }


def child_baseline(path: Path, repeats: int) -> dict[str, Any]:
    """``json.loads`` per line of a JSON Lines file: the cheapest possible reader."""
    before = memory()
    best = float("inf")
    n = 0
    best_cpu = float("inf")
    for _ in range(repeats):
        n = 0
        started, cpu = time.perf_counter(), time.process_time()
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                json.loads(line)
                n += 1
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    after = memory()
    return {
        "seconds": best,
        "cpu_seconds": best_cpu,
        "repeats": repeats,
        "papers": n,
        "bad": 0,
        "outcome": "read",
        "peak_extra_mb": round(after.get("VmHWM", after["ru_maxrss"]) - before.get("VmRSS", 0), 1),
    }


# --------------------------------------------------------------------------- the run


def figures(result: dict[str, Any], n: int) -> dict[str, Any]:
    """Rates from the child's CPU time (the machine may be shared: CPU time is what the
    reader costs, unlike the wall time, which other processes inflate); wall time beside."""
    seconds = result["cpu_seconds"]
    return {
        "n": n,
        "cpu_seconds": round(seconds, 4),
        "wall_seconds": round(result["seconds"], 4),
        "records_per_s": round(n / seconds) if seconds > 0 else None,
        "us_per_record": round(seconds / n * 1e6, 2),
        "peak_extra_mb": result["peak_extra_mb"],
        "repeats": result["repeats"],
    }


def measure_sizes(
    tmp: Path, names: list[str], sizes: tuple[int, ...]
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Per format and N the figures, the baseline per N, and what failed (not the contract:
    a crash, a wrong count). A file a reader refuses as too big with a clean error is
    recorded as refused, and half as many records are tried once."""
    script = Path(__file__).resolve()
    baseline: dict[str, Any] = {}
    failures: list[str] = []
    per_format: dict[str, Any] = {
        name: {"source": FORMATS[name][2], "runs": [], "refused": []} for name in names
    }

    def measure_baseline(n: int) -> None:
        if str(n) in baseline:
            return
        path = tmp / f"baseline-{n}.jsonl"
        write_paperradar_json(path, n, None)
        result = run_child(script, "baseline", path=path, repeats=repeats_for(n))
        baseline[str(n)] = figures(result, n)
        path.unlink()
        print(f"{'baseline json.loads':<20} {n:>8,}  " + row_text(baseline[str(n)]), flush=True)

    def measure(name: str, n: int) -> bool:
        filename, write, _ = FORMATS[name]
        path = tmp / filename
        write(path, n, None)
        size_mb = round(path.stat().st_size / 1e6, 1)
        result = run_child(script, "read", path=path, fmt=name, repeats=repeats_for(n))
        path.unlink()
        if result["outcome"].startswith("clean error"):
            per_format[name]["refused"].append(
                {
                    "n": n,
                    "file_mb": size_mb,
                    "outcome": result["outcome"],
                    "seconds": round(result["seconds"], 3),
                    "peak_extra_mb": result["peak_extra_mb"],
                }
            )
            print(f"{name:<20} {n:>8,}  {size_mb} MB file: {result['outcome'][:90]}", flush=True)
            return False
        if result["outcome"] != "read" or result["papers"] != n or result["bad"]:
            failures.append(f"{name} at {n:,}: {result}")
            print(f"{name:<20} {n:>8,}  FAILED: {result}", flush=True)
            return False
        entry = {**figures(result, n), "file_mb": size_mb}
        if result["sniffed"] != name:
            entry["sniffed_as"] = result["sniffed"]
        per_format[name]["runs"].append(entry)
        print(f"{name:<20} {n:>8,}  " + row_text(entry), flush=True)
        return True

    for n in sizes:
        measure_baseline(n)
    for name in names:  # a format's sizes one after the other: under like load
        for n in sizes:
            if not measure(name, n):
                if per_format[name]["refused"] and n // 2 > sizes[0]:
                    measure_baseline(n // 2)
                    measure(name, n // 2)
                break
    for name in names:
        data = per_format[name]
        runs = data["runs"]
        data["peak_extra_mb_by_n"] = [r["peak_extra_mb"] for r in runs]
        if len(runs) < 2:
            continue
        data["us_ratio_largest_vs_1k"] = round(
            runs[-1]["us_per_record"] / runs[0]["us_per_record"], 2
        )
        if len(runs) > 2:
            data["us_ratio_largest_vs_10k"] = round(
                runs[-1]["us_per_record"] / runs[1]["us_per_record"], 2
            )
    return per_format, baseline, failures


def row_text(entry: dict[str, Any]) -> str:
    rate = entry["records_per_s"]
    return (
        f"{entry['cpu_seconds']:9.3f} s  {rate or 0:>10,} rec/s"
        f"  {entry['us_per_record']:8.1f} µs/rec  {entry['peak_extra_mb']:8.1f} MB"
    )


def measure_fields(tmp: Path, names: list[str], mibs: tuple[int, ...]) -> dict[str, Any]:
    """Per format and field size: the outcome, the time and the peak over the field's size."""
    script = Path(__file__).resolve()
    out: dict[str, Any] = {name: [] for name in names}
    for mib in mibs:
        text = huge_text(mib)
        field_mb = len(text.encode()) / 1e6
        for name in names:
            filename, write, _ = FORMATS[name]
            path = tmp / filename
            write(path, 1, text)
            result = run_child(script, "read", path=path, fmt=name, repeats=1)
            path.unlink()
            outcome = result["outcome"]
            if outcome == "read" and not result["papers"]:  # refused as a bad record
                outcome = f"bad record: {result['first_bad']}"
            elif outcome == "read" and result["longest_abstract"] < len(text):
                outcome = f"read, abstract cut to {result['longest_abstract']:,} characters"
            entry = {
                "field_mib": mib,
                "field_mb": round(field_mb, 1),
                "outcome": outcome,
                "papers": result["papers"],
                "abstract_chars": result["longest_abstract"],
                "seconds": round(result["seconds"], 3),
                "peak_extra_mb": result["peak_extra_mb"],
                "peak_over_field": round(result["peak_extra_mb"] / field_mb, 1),
            }
            out[name].append(entry)
            print(
                f"{name:<20} {mib:>4} MiB field  {entry['seconds']:8.2f} s"
                f"  {entry['peak_extra_mb']:8.1f} MB  = {entry['peak_over_field']:5.1f} x field"
                f"  {entry['outcome'][:80]}",
                flush=True,
            )
    return out


def field_limits() -> dict[str, int]:
    """The readers' size limits at the time of the run (``MAX_*`` constants), if any."""
    import importlib

    found: dict[str, int] = {}
    for name in ("paperradar.readers.limits", "paperradar.readers._xml"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for key, value in vars(module).items():
            if key.lstrip("_").startswith("MAX") and isinstance(value, int):
                found[f"{name}.{key}"] = value
    return found


def default_field_mib() -> tuple[int, ...]:
    """Just below the readers' field-size limit and 4x over it, where one is set; else 8, 32."""
    limit = field_limits().get("paperradar.readers.limits.MAX_RECORD_CHARS")
    if not limit:
        return FIELD_MIB
    mib = max(1, limit >> 20)
    return (mib - 1 if mib > 1 else 1, 4 * mib)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--child", choices=("read", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fmt", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="1k and 10k records only")
    parser.add_argument("--formats", help="comma-separated format names (default: all)")
    parser.add_argument(
        "--field-mib",
        help="huge field sizes in MiB (default: just below the readers' limit and 4x over it;"
        " 8,32 without a limit)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    args = parser.parse_args()
    if args.child == "read":
        print(json.dumps(child_read(args.path, args.fmt, args.repeats)))
        return 0
    if args.child == "baseline":
        print(json.dumps(child_baseline(args.path, args.repeats)))
        return 0
    names = args.formats.split(",") if args.formats else list(FORMATS)
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        print(f"error: unknown formats {unknown}; known: {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    sizes = QUICK_SIZES if args.quick else SIZES
    if args.field_mib is None:
        mibs = default_field_mib()
    else:
        mibs = tuple(int(x) for x in args.field_mib.split(",") if x.strip())
    record = run_record()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="paperradar-bench-readers-") as tmp:
        head = f"{'format':<20} {'N':>8}  {'cpu time':>11}  {'rate':>16}  {'per record':>14}"
        print(head + "  peak extra")
        per_format, baseline, failures = measure_sizes(Path(tmp), names, sizes)
        fields = measure_fields(Path(tmp), names, mibs) if mibs else {}
    results = {
        **record,
        "quick": args.quick,
        "sizes": list(sizes),
        "field_mib": list(mibs),
        "field_limits": field_limits(),
        "baseline": baseline,
        "formats": per_format,
        "huge_field": fields,
        "failures": failures,
        "total_s": round(time.perf_counter() - started, 1),
    }
    write_results(args.out, results)
    print()
    print_table(results)
    print(f"\nresults: {shown(args.out)} ({results['total_s']} s)")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def print_table(results: dict[str, Any]) -> None:
    """Per format and N the figures beside the baseline; then per format the linearity ratio,
    the peaks by N, refusals and the huge fields."""
    base = results["baseline"]
    print(
        f"{'format':<16} {'N':>8} {'cpu s':>8} {'records/s':>10} {'µs/rec':>8}"
        f" {'json.loads µs':>13} {'x base':>7} {'peak extra MB':>13} {'file MB':>8}"
    )
    for name, data in results["formats"].items():
        for run in data["runs"]:
            b = base[str(run["n"])]["us_per_record"]
            print(
                f"{name:<16} {run['n']:>8,} {run['cpu_seconds']:>8.3f} {run['records_per_s']:>10,}"
                f" {run['us_per_record']:>8.1f} {b:>13.1f} {run['us_per_record'] / b:>7.1f}"
                f" {run['peak_extra_mb']:>13.1f} {run['file_mb']:>8.1f}"
            )
        for refused in data["refused"]:
            print(f"{name:<16} {refused['n']:>8,}  refused: {refused['outcome'][:100]}")
    print()
    print(
        f"{'format':<16} {'µs/rec largest/1k':>17} {'/10k':>6}"
        f"  {'peak extra MB by N':<22} huge field"
    )
    for name, data in results["formats"].items():
        peaks = "/".join(f"{p:.0f}" for p in data["peak_extra_mb_by_n"])
        huge = ", ".join(
            f"{f['field_mib']} MiB: {f['peak_over_field']}x field"
            + ("" if f["outcome"] == "read" else f" ({f['outcome'][:60]})")
            for f in results["huge_field"].get(name, [])
        )
        r1 = data.get("us_ratio_largest_vs_1k")
        r10 = data.get("us_ratio_largest_vs_10k")
        print(
            f"{name:<16} {r1 if r1 is not None else '-':>17} {r10 if r10 is not None else '-':>6}"
            f"  {peaks:<22} {huge}"
        )


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per format its rate at the largest N beside the json.loads baseline (linearity and
    memory in the note), and the peak over the largest huge field."""
    rows = []
    for name, data in results["formats"].items():
        if not data["runs"]:
            continue
        run = data["runs"][-1]
        base = results["baseline"][str(run["n"])]
        peaks = "/".join(f"{p:.0f}" for p in data["peak_extra_mb_by_n"])
        sizes = "/".join(f"{r['n'] // 1000}k" for r in data["runs"])
        rows.append(
            summary_row(
                f"{name}, {run['n']:,} records",
                run["records_per_s"],
                "records/s",
                "higher",
                baseline="json.loads per line, same N",
                baseline_value=base["records_per_s"],
                note=(
                    f"{name}: µs/record at {run['n']:,} / at 1k = "
                    f"{data.get('us_ratio_largest_vs_1k')}; peak extra MB at {sizes}: {peaks}"
                ),
            )
        )
    for name, entries in results.get("huge_field", {}).items():
        read = [e for e in entries if e["outcome"] == "read"]
        refused = [
            f"{e['field_mib']} MiB: {e['outcome'][:120]} (peak {e['peak_extra_mb']} MB)"
            for e in entries
            if e["outcome"] != "read"
        ]
        if read:
            big = read[-1]
            rows.append(
                summary_row(
                    f"{name}, one {big['field_mib']} MiB abstract: peak / field",
                    big["peak_over_field"],
                    "x",
                    "lower",
                    note="; ".join(
                        [
                            f"{name}: {big['peak_extra_mb']} MB above start, {big['seconds']} s",
                            *refused,
                        ]
                    ),
                )
            )
        elif entries:
            big = entries[-1]
            rows.append(
                summary_row(
                    f"{name}, one {big['field_mib']} MiB abstract, refused: peak",
                    big["peak_extra_mb"],
                    "MB",
                    "lower",
                    note=f"{name}: " + "; ".join(refused),
                )
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
