"""Bad input on the command line: one clean ``error: FILE:LINE: ...``, exit 2, store unchanged.

Every case runs against a store that already holds papers, and compares the paper, alias and
sighting counts and a search before and after. ``--skip-bad`` stores the good records and
lists each bad one with its FILE:LINE.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from helpers import paths

FIXTURES = paths.FIXTURES / "cli"


@pytest.fixture
def populated(cli: Any) -> Any:
    """The command on a fresh store that holds the six papers of papers.jsonl."""
    assert cli.ingest(FIXTURES / "papers.jsonl")["new"] == 6
    return cli


class Loaded:
    """A store shared by the tests whose ingests must fail, and how it looked at first."""

    def __init__(self, cli: Any) -> None:
        assert cli.ingest(FIXTURES / "papers.jsonl")["new"] == 6
        self.cli = cli
        self.before = cli.snapshot()
        assert self.before[0] == 6
        assert len(self.before[3]) == 4  # the quokkaformer papers

    def __call__(self, *args: str | Path) -> Any:
        return self.cli(*args)

    def assert_unchanged(self) -> None:
        assert self.cli.snapshot() == self.before


@pytest.fixture(scope="module")
def loaded(make_cli: Any, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return Loaded(make_cli(tmp_path_factory.mktemp("loaded") / "home"))


def assert_one_error(
    result: Any, path: Path, line: int | None, *, line_optional: bool = False
) -> str:
    """Exit 2, nothing on stdout, and exactly one stderr line ``error: PATH[:LINE]: reason``."""
    assert result.code == 2, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    where = re.escape(str(path))
    if line is not None:
        where += f"(:{line})?" if line_optional else f":{line}"
    elif line_optional:
        where += r"(:\d+)?"
    match = re.match(rf"error: {where}: (?P<reason>\S.*)$", lines[0])
    assert match, f"{lines[0]!r} does not name {path}" + (f" line {line}" if line else "")
    return match.group("reason")


CASES = [
    # (fixture file, line it names, optional line?, a word the reason must contain)
    pytest.param("bad_json_line3.jsonl", 3, False, "JSON", id="malformed-json-line-3"),
    pytest.param("wrong_type_line2.jsonl", 2, False, "title", id="wrong-field-type-line-2"),
    pytest.param("../arxiv-atom/cli_broken_line11.xml", 11, False, "XML", id="broken-xml-line-11"),
    pytest.param("latin1.jsonl", 2, True, "UTF-8", id="not-utf8"),
    pytest.param("unrecognised.dat", None, False, "format", id="unrecognised-format"),
    pytest.param("does-not-exist.jsonl", None, False, "", id="missing-file"),
]


@pytest.mark.parametrize(("name", "line", "line_optional", "word"), CASES)
def test_bad_file_is_one_clean_error_and_changes_nothing(
    loaded: Loaded, name: str, line: int | None, line_optional: bool, word: str
) -> None:
    path = (FIXTURES / name).resolve()
    reason = assert_one_error(loaded("ingest", path), path, line, line_optional=line_optional)
    assert word in reason
    loaded.assert_unchanged()


def test_bad_record_after_many_good_ones_stores_none_of_them(
    loaded: Loaded, arxiv_slice: Path, tmp_path: Path
) -> None:
    # More good records than one write batch (2,000) before the bad line: batches already
    # written inside the transaction must be rolled back too.
    with gzip.open(arxiv_slice, "rt", encoding="utf-8") as fh:
        good = [next(fh) for _ in range(2500)]
    path = tmp_path / "late_bad.jsonl"
    path.write_text("".join(good) + '{"id": "2606.00001", "title": \n' + good[0], encoding="utf-8")
    assert_one_error(loaded("ingest", path), path, 2501)
    loaded.assert_unchanged()
    first = orjson.loads(good[0])["id"]
    assert loaded("show", first).code == 2


def test_late_non_utf8_byte_stores_nothing(
    loaded: Loaded, arxiv_slice: Path, tmp_path: Path
) -> None:
    # The bad byte lies beyond what format sniffing reads, so it is met while storing.
    with gzip.open(arxiv_slice, "rb") as fh:
        good = [next(fh) for _ in range(100)]
    path = tmp_path / "late_latin1.jsonl"
    path.write_bytes(
        b"".join(good) + good[0].replace(b'"title": "', b'"title": "Caf\xe9 ') + good[1]
    )
    reason = assert_one_error(loaded("ingest", path), path, 101, line_optional=True)
    assert "UTF-8" in reason
    loaded.assert_unchanged()


def test_truncated_gzip_stores_nothing(loaded: Loaded, arxiv_slice: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.jsonl.gz"
    path.write_bytes(arxiv_slice.read_bytes()[:400_000])
    assert_one_error(loaded("ingest", path), path, None, line_optional=True)
    loaded.assert_unchanged()


@pytest.mark.parametrize(
    ("bad", "line"),
    [("bad_json_line3.jsonl", 3), ("does-not-exist.jsonl", None)],
    ids=["bad-record", "missing-file"],
)
def test_a_bad_second_file_stores_nothing_of_the_first(
    loaded: Loaded, bad: str, line: int | None
) -> None:
    result = loaded("ingest", FIXTURES / "good_new.jsonl", FIXTURES / bad)
    assert_one_error(result, FIXTURES / bad, line)
    loaded.assert_unchanged()
    assert loaded("show", "2605.90101").code == 2  # the first file's papers


def test_skip_bad_stores_the_good_and_lists_the_bad(populated: Any) -> None:
    before = populated.stats()["papers"]
    bad_json, wrong_type = FIXTURES / "bad_json_line3.jsonl", FIXTURES / "wrong_type_line2.jsonl"
    result = populated("ingest", "--skip-bad", FIXTURES / "good_new.jsonl", bad_json, wrong_type)
    assert result.code == 0, result
    assert "Traceback" not in result.stderr
    # good_new: 2 good; bad_json_line3: 3 good, line 3 bad; wrong_type_line2: 2 good, line 2 bad.
    summary = re.match(r"read (\d+) · new (\d+) · merged (\d+) · skipped (\d+) ", result.stdout)
    assert summary, result.stdout
    assert summary.groups() == ("9", "7", "0", "2")
    listed = result.stderr.splitlines()
    assert len(listed) == 2, result.stderr
    assert re.search(rf"{re.escape(str(bad_json))}:3: .*JSON", listed[0])
    assert re.search(rf"{re.escape(str(wrong_type))}:2: .*title", listed[1])

    assert populated.stats()["papers"] == before + 7
    for stored in ("2605.90101", "2605.90102", "2605.90201", "2605.90202", "2605.90204"):
        assert populated.json("show", stored)["arxiv_id"] == stored
    for stored in ("2605.90301", "2605.90303"):
        assert populated.json("show", stored)["arxiv_id"] == stored
    for skipped in ("2605.90203", "2605.90302"):
        assert populated("show", skipped).code == 2


def test_skip_bad_json_lists_the_bad_records(populated: Any) -> None:
    bad_json, wrong_type = FIXTURES / "bad_json_line3.jsonl", FIXTURES / "wrong_type_line2.jsonl"
    report = populated.json("ingest", "--skip-bad", bad_json, wrong_type)
    assert {k: report[k] for k in ("read", "new", "merged", "skipped")} == {
        "read": 7,
        "new": 5,
        "merged": 0,
        "skipped": 2,
    }
    assert len(report["bad"]) == 2
    assert report["bad"][0].startswith(f"{bad_json}:3: ")
    assert report["bad"][1].startswith(f"{wrong_type}:2: ")


def test_skip_bad_with_nothing_bad_is_a_normal_ingest(populated: Any) -> None:
    result = populated.ok("ingest", "--skip-bad", FIXTURES / "good_new.jsonl")
    assert result.stderr == ""
    assert result.stdout.startswith("read 2 · new 2 · merged 0 · skipped 0 ")
