"""Every reader is total over its input: the crash classes of issue 15, each a regression test.

Each bad file goes through ``paperradar ingest`` (exit 2, one ``error: FILE[:LINE]: ...`` line,
no traceback, the store unchanged) and, where the web takes it (not gzip), through the
profile page's upload (400 with the message, never a 500). The files are in
tests/fixtures/regressions/<format>/, named after the crash class; gzip damage and the huge
field are made here.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import random
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers.cli import run_cli
from helpers.paths import FIXTURES, REPO
from helpers.webhome import PASSWORDS, build_home

from paperradar import Store, ingest_files
from paperradar.embedding import FakeEmbedder
from paperradar.errors import FormatError, UsageError
from paperradar.models import Paper
from paperradar.readers import ReadContext, base, hf_daily, jsonl, limits, read_path
from paperradar.readers._json_scan import too_deep
from paperradar.readers.base import BadRecord
from paperradar.search import parse_since
from paperradar.web.app import create_app

REGRESSIONS = FIXTURES / "regressions"
GOOD = FIXTURES / "cli" / "papers.jsonl"  # six arxiv-daily records

#: (file, the error line after "error: ") for every bad file kept as a regression
REFUSED = [
    ("hf-daily/deep_nesting.json", r":21: invalid JSON: nested deeper than 512 levels$"),
    ("csl-json/deep_nesting.json", r":24: invalid JSON: nested deeper than 512 levels$"),
    ("arxiv-daily/deep_nesting.jsonl", r":2: invalid JSON: nested deeper than 512 levels$"),
    ("csl-json/year_out_of_range.json", r":2: item 1: 'issued' is not a date: \[\[10+, 1, 1\]\]$"),
    ("hf-daily/upvotes_out_of_range.json", r":2: item 1: 'upvotes' is out of range \(.*64 bits\)$"),
    (
        "listing/author_count_malformed.txt",
        r":25: not an author count \('• N authors'\): '• 9+ authors'$",
    ),
    ("csv/empty.csv", r": no records \(read as csv\)$"),
]
SURROGATES = [
    "hf-daily/lone_surrogate.json",
    "csl-json/lone_surrogate.json",
    "arxiv-daily/lone_surrogate.jsonl",
]


def paper_count(home: Path) -> int:
    with Store.open(home) as store:
        return store.papers.count()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A store holding six papers, so that "unchanged" means something."""
    home = tmp_path / "home"
    with Store.open(home) as store:
        ingest_files(store, [GOOD])
    return home


def refused(home: Path, *args: str | Path) -> str:
    """Run ``ingest ARGS``: exit 2, one error line, no traceback, the store unchanged."""
    before = paper_count(home)
    result = run_cli(home, "ingest", *args)
    assert result.code == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert paper_count(home) == before
    return lines[0].removeprefix("error: ")


# --------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize(("name", "expected"), REFUSED, ids=[n for n, _ in REFUSED])
def test_cli_refuses_each_regression_file_with_one_line(
    home: Path, name: str, expected: str
) -> None:
    path = REGRESSIONS / name
    message = refused(home, path)
    assert message.startswith(str(path)), message
    assert re.search(expected, message), message


@pytest.mark.parametrize("name", SURROGATES)
def test_lone_surrogates_are_stored_as_the_replacement_character(home: Path, name: str) -> None:
    result = run_cli(home, "ingest", REGRESSIONS / name)
    assert result.code == 0, result
    with Store.open(home) as store:
        papers = store.papers.load(list(range(1, store.papers.max_id() + 1)))
    found = [p for p in papers if "\ufffd" in p.title]
    assert len(found) == 1, name
    assert any("\ufffd" in author for author in found[0].authors)
    assert not re.search("[\ud800-\udfff]", found[0].title + "".join(found[0].authors))


def _damaged(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data = gzip.compress(GOOD.read_bytes() * 40)
    body = range(10, len(data) - 8)  # past the header, before the CRC and length
    cases = {"truncated": data[: len(data) // 2], "trailing": data + b"garbage!"}
    for share in (0.2, 0.4, 0.6, 0.8):
        flipped = bytearray(data)
        flipped[body[int(len(body) * share)]] ^= 0xFF
        cases[f"flipped-{share}"] = bytes(flipped)
    crc = bytearray(data)
    crc[-6] ^= 0x01
    cases["crc"] = bytes(crc)
    for name, damaged in cases.items():
        path = tmp_path / f"{name}.jsonl.gz"
        path.write_bytes(damaged)
        yield name, path


def test_damaged_gzip_anywhere_is_corrupt_gzip_data(home: Path, tmp_path: Path) -> None:
    for name, path in _damaged(tmp_path):
        for args in ((path,), ("--format", "arxiv-daily", path), ("--skip-bad", path)):
            message = refused(home, *args)
            assert message.startswith(f"{path}: corrupt gzip data"), (name, message)


def test_listing_bullet_that_is_no_author_count_is_a_bad_record(home: Path, tmp_path: Path) -> None:
    page = (REGRESSIONS / "listing" / "author_count_malformed.txt").read_text(encoding="utf-8")
    for count in ("four", "9" * 5000, "٣x"):
        path = tmp_path / "page.txt"
        path.write_text(page.replace("99999999999999999999999", count), encoding="utf-8")
        assert re.search(r":25: not an author count", refused(home, path))
    page = page.replace("99999999999999999999999", "7")
    long_upvotes = page.replace("Sep 29 1", "Sep 29 " + "9" * 5000)
    path.write_text(long_upvotes, encoding="utf-8")
    assert ": not a listing date: 'Sep 29 99" in refused(home, path)


def test_a_file_that_gives_no_records_is_an_error(home: Path, tmp_path: Path) -> None:
    header_only = tmp_path / "header.csv"
    header_only.write_text("title,abstract\n", encoding="utf-8")
    assert refused(home, header_only) == f"{header_only}: no records (read as csv)"
    assert refused(home, "--format", "ris", GOOD) == f"{GOOD}: no records (read as ris)"
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n", encoding="utf-8")
    assert refused(home, "--format", "arxiv-daily", blank).endswith("(read as arxiv-daily)")
    # a feed of a day without announcements is a real, empty feed: read, nothing stored
    empty_day = FIXTURES / "arxiv-rss" / "cs.CL_2025-01-04_empty.rss.xml"
    result = run_cli(home, "ingest", empty_day)
    assert result.code == 0 and "read 0" in result.stderr + result.stdout, result


@pytest.mark.parametrize(
    "args",
    [
        ("search", "quokka", "--since", "999999999d"),
        ("search", "quokka", "--since", "1000000y"),
        ("search", "quokka", "--until", "9" * 5000 + "d"),
        ("trending", "--since", "1000000y"),
        ("digest", "--since", "1000000y"),
        ("digest", "--day", "9999-12-31"),
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_date_options_too_far_away_are_usage_errors(home: Path, args: tuple[str, ...]) -> None:
    result = run_cli(home, *args)
    assert result.code == 2, result
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert re.fullmatch(r"error: --(since|until|day): (too far back|out of range): .+", line), line


def test_parse_since_range() -> None:
    today = parse_since("2026-07-01")
    assert parse_since("3d", today) == parse_since("2026-06-28")
    assert parse_since("0002-01-01") < parse_since("9998-12-31")
    for text in ("999999999d", "1000000y", "740000d", "0001-01-01", "9999-12-31"):
        with pytest.raises(UsageError, match=r"too far back|out of range"):
            parse_since(text, today)


# --------------------------------------------------------------------------- readers


def test_depth_limit_is_exact() -> None:
    def hf_doc(depth: int) -> str:
        item = {"paper": {"id": "2502.14786", "title": "T", "upvotes": 1, "discussionId": "d"}}
        text = json.dumps([item])
        inner = "[" * (depth - 3) + "]" * (depth - 3)  # inside the array, item and paper
        return text.removesuffix("}}]") + f', "x": {inner}}}}}]'

    ctx = ReadContext(origin="x.json")
    ok = list(hf_daily.READER.parse(_stream(hf_doc(512)), ctx))
    assert len(ok) == 1 and not isinstance(ok[0], BadRecord)
    with pytest.raises(FormatError, match="nested deeper than 512 levels"):
        list(hf_daily.READER.parse(_stream(hf_doc(513)), ctx))
    assert too_deep("[" * 512 + "]" * 512) is None
    assert too_deep('["[[[' + "[" * 600 + '"]') is None  # brackets inside a string
    assert too_deep(" " + "{" * 513 + "}" * 513) == 513


def test_json_lines_depth_limit_is_a_bad_record_there() -> None:
    deep = '{"id": "2605.90001", "title": "T", "x": ' + "[" * 600 + "]" * 600 + "}\n"
    records = list(jsonl.ARXIV_DAILY_READER.parse(_stream(deep), ReadContext(origin="x")))
    assert records == [BadRecord(1, "invalid JSON: nested deeper than 512 levels")]


def test_vet_replaces_surrogates_and_refuses_numbers_past_64_bits() -> None:
    paper = base_paper(title="a\ud800b", authors=["\udfffx"], links={"url": "u\udc00"})
    assert limits.vet(paper) is None
    assert (paper.title, paper.authors, paper.links) == (
        "a\ufffdb",
        ["\ufffdx"],
        {"url": "u\ufffd"},
    )
    assert limits.vet(base_paper(upvotes=2**63 - 1)) is None
    assert "'upvotes' is out of range" in (limits.vet(base_paper(upvotes=2**63)) or "")
    assert "'author_count'" in (limits.vet(base_paper(author_count=-(2**63) - 1)) or "")
    long = "x" * (limits.MAX_RECORD_CHARS + 1)
    assert "'abstract' is longer than 8,388,608" in (limits.vet(base_paper(abstract=long)) or "")
    assert limits.shown("y" * 10_000).count("y") < 300
    assert limits.shown(10**5000) == "<a number too long to show>"


def test_clean_text_of_a_long_text_is_the_same_as_split_and_join() -> None:
    rng = random.Random(15)
    spaces = [" ", "\t", "\n", "\u3000", "\xa0", "\x1c", "\u2029", "\x85"]
    for _ in range(8):
        rate = rng.choice([0.02, 0.5, 0.98])
        text = "".join(
            rng.choice(spaces) if rng.random() < rate else rng.choice("ab\u00e9\u6f22")
            for _ in range(rng.choice([100, 70_000, 200_000]))
        )
        assert base.clean_text(text) == " ".join(text.split())


def test_regex_whitespace_is_str_whitespace() -> None:
    """clean_text cuts long texts where ``\\s`` matches, and must cut only where split would."""
    found = re.compile(r"\s")
    assert all(bool(found.match(chr(c))) == chr(c).isspace() for c in range(sys.maxunicode + 1))


def test_a_huge_field_in_a_small_gzip_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """One 64 MiB field (a 300 KB gzip) in each format: a clear error, and the reading
    process's peak memory stays under 512 MB (it was about 40x the field before:
    MemoryError)."""
    field = gzip.compress(b"a " * (32 * 1024 * 1024), compresslevel=1)
    atom = (FIXTURES / "arxiv-atom" / "query_cat_cs_CL.xml").read_text(encoding="utf-8")
    rss = (FIXTURES / "arxiv-rss" / "cs.CL_2025-01-06.rss.xml").read_text(encoding="utf-8")
    oai = (FIXTURES / "oai-pmh" / "list_records_cs_page1.xml").read_text(encoding="utf-8")
    listing = (REGRESSIONS / "listing" / "author_count_malformed.txt").read_text(encoding="utf-8")
    cut = {
        "abstracts": ("Abstract: one\nAbstract: two\nAbstract: ", "\n"),
        "listing": _around(listing, "Learning rate schedules used in practice"),
        "csv": ("title,abstract\nT,", "\n"),
        "ris": ("TY  - JOUR\nTI  - T\nAB  - ", "\nER  - \n"),
        "arxiv-daily": ('{"id": "2605.90001", "title": "T", "abstract": "', '"}\n'),
        "paperradar-json": ('[{"title": "T", "sightings": [], "abstract": "', '"}]'),
        "hf-daily": ('[{"paper": {"id": "2502.14786", "title": "T", "summary": "', '"}}]'),
        "csl-json": ('[{"type": "article", "title": "T", "abstract": "', '"}]'),
        "arxiv-atom": _around(atom, "<summary>", after=True),
        "arxiv-rss": _around(rss, "<description>", after=True),
        "oai-pmh": _around(oai, "<abstract>", after=True),
    }
    files = {}
    for fmt, (before, after) in cut.items():
        path = tmp_path / f"{fmt}.gz"
        path.write_bytes(gzip.compress(before.encode()) + field + gzip.compress(after.encode()))
        files[fmt] = str(path)
    # one process per format: a failed ingest may leave its reading thread finishing the gzip
    # check for up to a second, which would overlap the next format's read in one process
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from paperradar import Store, ingest_files
        from paperradar.errors import FormatError
        with Store.open(Path(sys.argv[1])) as store:
            try:
                ingest_files(store, [Path(sys.argv[3])], fmt=sys.argv[2])
                message = "stored"
            except FormatError as exc:
                message = str(exc)
        # VmHWM, this process's own peak: ru_maxrss starts at the parent's size at the fork
        with open("/proc/self/status", encoding="ascii") as fh:
            hwm = next(line for line in fh if line.startswith("VmHWM:"))
        peak = int(hwm.split()[1]) / 1024
        print(json.dumps({"message": message, "peak_mb": peak}))
        """
    )
    for fmt, file in files.items():
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / fmt), fmt, file],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=True,
        )
        out = json.loads(done.stdout)
        assert out["peak_mb"] < 512, (fmt, out)
        message = out["message"]
        assert message.startswith(file + ":"), (fmt, message)
        # a field over 8 MiB, or a document read whole over 64 MiB (a JSON array): either way
        # a clean error before memory grows with the input
        assert (
            "longer than 8,388,608 characters (8 MiB)" in message
            or "over 64 MiB of text" in message
        ), (fmt, message)


# --------------------------------------------------------------------------- the web


@pytest.fixture(scope="module")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("limits") / "home")


@pytest.fixture(scope="module")
def alice(web_home: Path) -> Iterator[tuple[TestClient, str]]:
    app = create_app(web_home, embedder=FakeEmbedder())
    with TestClient(app, follow_redirects=False) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token
        data = {"name": "alice", "password": PASSWORDS["alice"], "csrf": token.group(1)}
        assert client.post("/login", data=data).status_code == 303
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/profiles").text)
        assert csrf
        yield client, csrf.group(1)
    app.state.web.store.close()


def upload(client: TestClient, csrf: str, path: Path) -> tuple[int, str]:
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    answer = client.post("/profiles/alice-ml/upload", data={"csrf": csrf}, files=files)
    return answer.status_code, answer.text


@pytest.mark.parametrize(("name", "expected"), REFUSED, ids=[n for n, _ in REFUSED])
def test_web_upload_of_each_regression_file_is_a_400_with_the_message(
    alice: tuple[TestClient, str], web_home: Path, name: str, expected: str
) -> None:
    client, csrf = alice
    before = paper_count(web_home)
    status, page = upload(client, csrf, REGRESSIONS / name)
    assert status == 400, page[:2000]
    found = re.search(re.escape(Path(name).name) + r"(:\d+)?: [^<]+", page)
    assert found, page[:2000]
    message = html.unescape(found.group(0)).strip()
    assert re.search(expected, message), message
    assert paper_count(web_home) == before


@pytest.mark.parametrize("name", SURROGATES)
def test_web_upload_with_lone_surrogates_adds_the_paper(
    alice: tuple[TestClient, str], name: str
) -> None:
    client, csrf = alice
    status, page = upload(client, csrf, REGRESSIONS / name)
    assert status == 303, page[:2000]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/search?q=graph&since=999999999d", 400),
        ("/search?q=graph&until=1000000y", 400),
        ("/trending?since=1000000y", 400),
        ("/trending?until=9999-12-31", 400),
        ("/radar?profile=alice-ml&day=999999999d", 400),
        ("/radar?profile=alice-ml&day=9999-12-31", 400),
        ("/radar?profile=alice-ml&day=0001-01-01", 400),
        ("/digests/99999999999999999999999", 404),
        ("/digests/9223372036854775808/export", 404),
    ],
)
def test_web_dates_and_ids_out_of_range_are_client_errors(
    alice: tuple[TestClient, str], url: str, status: int
) -> None:
    client, _ = alice
    answer = client.get(url)
    assert answer.status_code == status, answer.text[:2000]
    if status == 400:
        assert re.search(r"too far back|out of range", answer.text), answer.text[:2000]


# --------------------------------------------------------------------------- helpers


def _stream(text: str) -> io.StringIO:
    return io.StringIO(text, newline="")


def _around(text: str, marker: str, after: bool = False) -> tuple[str, str]:
    at = text.index(marker) + (len(marker) if after else 0)
    return text[:at], text[at:]


def base_paper(**fields: Any) -> Paper:
    return Paper(**fields)


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("csl-json", '[{"type": "article", "title": "' + "x" * 4000 + '"}]'),
        ("hf-daily", '[{"paper": {"id": "2501.00001", "title": "' + "x" * 4000 + '"}}]'),
        ("paperradar-json", '[{"title": "' + "x" * 4000 + '"}]'),
        ("listing", "Title one\n" + "An abstract.\n" * 400),
    ],
)
def test_a_document_read_whole_is_bounded(
    fmt: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperradar.readers import listing

    monkeypatch.setattr(limits, "MAX_DOCUMENT_CHARS", 1024)
    monkeypatch.setattr(listing, "MAX_DOCUMENT_CHARS", 1024)
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match=r"over 0 MiB of text: .* is read whole; split it"):
        list(read_path(path, fmt).records)


def test_a_csv_cell_may_be_as_long_as_any_field(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("title,abstract\nA long one," + "word " * 60_000 + "\n", encoding="utf-8")
    [paper] = list(read_path(path, "csv").records)
    assert len(paper.abstract) > 200_000  # type: ignore[union-attr]
