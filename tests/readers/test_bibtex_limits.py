"""BibTeX on hostile input: bounded @string expansion, linear scanning of brace-heavy text,
no recursion without bound, and every failure a clean bad record or FormatError.

The inputs are generated at sizes where quadratic work or recursion would not finish (or
would raise): each test asserts the outcome, and finishing is the rest of the check.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperradar import FormatError, Store, ingest_files
from paperradar.models import Paper
from paperradar.readers import _bibtex_syntax, bibtex, limits
from paperradar.readers._bibtex_syntax import FIELD_LIMIT, BibScanner, group_end
from paperradar.readers._latex import MAX_ACCENT_DEPTH, latex_to_text
from paperradar.readers.base import BadRecord, ReadContext, Record


def read_text(text: str) -> list[Record]:
    return list(bibtex.READER.parse(io.StringIO(text), ReadContext(origin="t.bib")))


def only_paper(records: list[Record]) -> Paper:
    assert len(records) == 1 and isinstance(records[0], Paper), records
    return records[0]


def doubling_macros(count: int, seed: str = "xxxxxxxxxxxxxxxx") -> list[str]:
    """``@string`` lines each twice the one before: a{count-1} is len(seed) * 2**(count-1)."""
    lines = [f'@string{{a0 = "{seed}"}}']
    lines += [f"@string{{a{i} = a{i - 1} # a{i - 1}}}" for i in range(1, count)]
    return lines


# -- @string expansion -------------------------------------------------------------------


def test_doubling_macros_end_in_a_bad_record_not_gigabytes(tmp_path: Path) -> None:
    # the attack of issue 15: a 733-byte file whose last macro is 16 * 2**40 characters
    text = "\n".join([*doubling_macros(41), "@article{k, title = a40}"])
    assert len(text) < 1100
    (record,) = read_text(text)
    assert isinstance(record, BadRecord)
    assert record.line == 42
    assert record.reason == (
        f"entry 1 (k): field 'title' too long after @string expansion (over {FIELD_LIMIT:,} "
        "characters)"
    )
    path = tmp_path / "explode.bib"
    path.write_text(text, encoding="utf-8")
    store = Store.open(tmp_path / "home")
    message = ""
    try:  # (not pytest.raises: its kept traceback would hold the reading thread's open file)
        ingest_files(store, [path])
    except FormatError as exc:
        message = str(exc)
    assert message.startswith(f"{path}:42: entry 1 (k): field 'title' too long after")
    assert store.papers.count() == 0
    store.close()


def test_an_overlong_macro_is_harmless_where_unused_and_can_be_redefined() -> None:
    text = "\n".join(
        [
            *doubling_macros(30),
            "@article{a, title = {Plain}}",
            '@string{a29 = "Short again"}',
            "@article{b, title = a29 # { too}}",
        ]
    )
    first, second = read_text(text)
    assert isinstance(first, Paper) and first.title == "Plain"
    assert isinstance(second, Paper) and second.title == "Short again too"


def test_concatenation_over_the_limit_is_too_long_even_when_each_part_fits() -> None:
    half = FIELD_LIMIT // 2 + 1
    text = f'@string{{half = "{"y" * half}"}}\n@article{{k, title = half # half}}'
    (record,) = read_text(text)
    assert isinstance(record, BadRecord)
    assert "field 'title' too long after @string expansion" in record.reason


def test_the_file_wide_expansion_budget_refuses_many_uses_of_a_big_macro() -> None:
    # each use is within the field limit; together they would be 2,000 x 4 MiB
    big = FIELD_LIMIT // 2
    uses = "\n".join(f"@article{{k{i}, title = big}}" for i in range(2000))
    text = f'@string{{big = "{"z" * 16}"}}\n' + "\n".join(doubling_macros(19)[1:]).replace(
        "a0", "big"
    )
    text += "\n" + uses.replace("title = big", "title = a18")
    assert big == 16 * 2**18
    with pytest.raises(FormatError) as caught:
        read_text(text)
    budget = _bibtex_syntax.expansion_budget(len(text)) >> 20
    assert f"@string macros expand to over {budget} MiB of text in total" in str(caught.value)
    assert str(caught.value).startswith("t.bib:")


def test_a_raw_field_over_the_limit_is_a_bad_record_and_the_next_entry_is_read() -> None:
    text = "@article{a, abstract = {" + "w " * (FIELD_LIMIT // 2 + 1) + "}}\n"
    text += "@article{b, title = {Next}}"
    first, second = read_text(text)
    assert isinstance(first, BadRecord) and first.line == 1
    assert first.reason.startswith("entry 1 (a): field 'abstract' is longer than")
    assert isinstance(second, Paper) and second.title == "Next"


def test_a_file_over_the_text_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_DOCUMENT_CHARS", 1000)
    assert len(read_text("@article{k, title={" + "t" * 900 + "}}")) == 1
    with pytest.raises(FormatError, match=r"^t\.bib: over 0 MiB of text: a BibTeX file is read"):
        read_text("@article{k, title={" + "t" * 1000 + "}}")


# -- brace-heavy text: linear, no recursion ------------------------------------------------


def test_deep_nesting_in_a_title_is_read() -> None:
    depth = 300_000
    paper = only_paper(read_text("@article{k, title={" + "{" * depth + "Deep" + "}" * depth + "}}"))
    assert paper.title == "Deep"


def test_deep_nesting_interleaved_with_text_is_read() -> None:
    depth = 100_000
    title = "{a " * depth + "}" * depth
    paper = only_paper(read_text("@article{k, title={" + title + "}}"))
    assert paper.title == " ".join(["a"] * depth)


def test_wide_groups_in_every_field_and_entry_kind_are_read() -> None:
    groups = "{x}" * 100_000
    entries = [
        "@article{a, title={" + groups + "}}",
        "@article(b, title={" + groups + "})",
        '@article{c, title="' + groups + '"}',
        "@article{d, title={T}, author={" + " and ".join(["{Corp} {Inc}"] * 20_000) + "}}",
    ]
    records = read_text("\n".join(entries))
    assert [r.title for r in records if isinstance(r, Paper)][:3] == ["x" * 100_000] * 3
    last = records[3]
    assert isinstance(last, Paper) and len(last.authors) == 20_000


def test_unbalanced_text_fails_once_not_once_per_brace() -> None:
    # an entry never closed, full of groups never closed inside
    with pytest.raises(FormatError, match=r"^t\.bib:1: unterminated @article entry"):
        read_text("@article{k, title={" + "{ {x}{y}" * 50_000)
    with pytest.raises(FormatError, match=r"^t\.bib:2: unterminated @article entry: .*'\)'"):
        read_text("\n@article(k, title = {" + "{ {x}" * 50_000 + ")")


def test_a_long_run_of_spaces_in_an_author_list_is_read_in_linear_time() -> None:
    # found by the fuzzer: splitting on "\s+and\s+" cost the square of a run of spaces
    run = "\n" * 100_000
    authors = f"Garc{{\\'\\i}}a, Mar{{\\{run}'\\i}}a and Webb, Ada and X{run}and Y"
    paper = only_paper(read_text("@article{k, title={T}, author={" + authors + "}}"))
    assert paper.authors[1:] == ["Ada Webb", "X", "Y"]


def test_nested_accents_beyond_the_depth_limit_keep_their_text() -> None:
    depth = 50_000
    paper = only_paper(read_text("@article{k, title={" + "\\'{" * depth + "e" + "}" * depth + "}}"))
    # the letter with the innermost accents it can carry; the rest are dropped
    accents = paper.title[1:]
    assert paper.title[0] == "é" and set(accents) == {"\u0301"}
    assert len(accents) < MAX_ACCENT_DEPTH
    chain = only_paper(read_text("@article{k, title={" + "\\'" * depth + "e}}"))
    assert "é" in chain.title and len(chain.title) <= depth
    assert latex_to_text("\\'{e}") == "é"


def test_numbers_too_long_to_convert_are_bad_records() -> None:
    records = read_text(
        "@article{a, title={A}, year=2020, month={" + "9" * 5000 + "}}\n"
        "@article{b, title={B}, note={arXiv:2101.00001 version: " + "9" * 5000 + "}}\n"
        "@article{c, title={C}, archivePrefix={arXiv}, eprint={2101.00001v" + "9" * 5000 + "}}\n"
        "@article{d, title={D}, archivePrefix={arXiv}, eprint={2101.00001v" + "9" * 23 + "}}\n"
        "@article{e, title={E}, year=2020, month={²}}"
    )
    assert all(isinstance(r, BadRecord) for r in records), records
    reasons = [r.reason for r in records if isinstance(r, BadRecord)]
    assert reasons[0].startswith("entry 1 (a): 'month' is not a month: '999")
    assert len(reasons[0]) < 200
    assert reasons[1] == "entry 2 (b): an arXiv version number is too long"
    # a version of more than 9 digits is not arXiv's: the eprint is not an arXiv id
    assert reasons[2].startswith("entry 3 (c): 'eprint' is not an arXiv id: '2101.00001v999")
    assert reasons[3].startswith("entry 4 (d): 'eprint' is not an arXiv id: '2101.00001v999")
    assert reasons[4] == "entry 5 (e): 'month' is not a month: '²'"


# -- the scanner's helpers against plain reference implementations ---------------------


def naive_group_end(text: str, opening: int, end: int) -> int | None:
    depth = 0
    for index in range(opening, end):
        depth += 1 if text[index] == "{" else -1 if text[index] == "}" else 0
        if depth == 0:
            return index
    return None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}a", max_size=60), st.data())
def test_group_end_agrees_with_a_naive_scan(body: str, data: st.DataObject) -> None:
    text = "{" + body
    end = data.draw(st.integers(min_value=1, max_value=len(text)))
    assert group_end(text, 0, end) == naive_group_end(text, 0, end)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="a\n@{", max_size=80), st.lists(st.integers(0, 80), max_size=20))
def test_line_numbers_agree_with_counting_from_the_start(text: str, positions: list[int]) -> None:
    scanner = BibScanner(text, "t.bib")
    for pos in positions:
        pos = min(pos, len(text))
        assert scanner.line_of(pos) == text.count("\n", 0, pos) + 1


_BIBTEX_PIECES = st.sampled_from(
    [
        "@article{k,",
        "@string{m = ",
        "@comment{",
        "@preamble{",
        "@misc(",
        "title = ",
        "author = ",
        "year = ",
        "month = ",
        "eprint = ",
        "doi = ",
        "note = ",
        "crossref = ",
        "{",
        "}",
        "(",
        ")",
        '"',
        "#",
        ",",
        "=",
        "m",
        "jan",
        "\\'",
        "\\'{",
        "\\href{",
        "--",
        "``",
        "~",
        "$",
        " and ",
        "\n",
        " ",
        "2020",
        "9" * 30,
        "10.1/x",
        "arXiv:2101.00001v2",
        "e",
        "Ö",
        "\\ss",
        "%",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_BIBTEX_PIECES, max_size=60).map("".join))
def test_any_bibtex_like_text_gives_records_or_a_format_error(text: str) -> None:
    try:
        records = read_text(text)
    except FormatError as exc:
        assert str(exc).startswith("t.bib")
        return
    for record in records:
        assert isinstance(record, Paper | BadRecord)
        if isinstance(record, BadRecord):
            assert record.reason.startswith("entry ") and "\n" not in record.reason
