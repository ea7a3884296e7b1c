"""Digest rendering: terminal, Markdown, HTML, RSS and Atom, with hostile feed text.

Digests are built directly from the models (no store, no embedding model). Every output is
read back with a real parser (feedparser, ElementTree, html.parser, markdown-it) and checked
for what a reader would see.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from paperradar.digest import render
from paperradar.digest.render import (
    WORD_JOINER,
    clean_text,
    digest_items,
    feed_text,
    paper_guid,
    paper_url,
    safe_url,
    to_atom,
    to_html,
    to_markdown,
    to_rss,
    to_terminal,
    why_lines,
    write_outputs,
)
from paperradar.errors import PaperRadarError, UsageError
from paperradar.models import Digest, Neighbour, Paper, Ranked, Why

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MD_LINK = "[x](javascript:alert(1))"
RICH = "[red]x[/red]"
CONTROL = "a\x00b\x1b[31mc\x07d\x0ce\u202ef"
ATOM = "{http://www.w3.org/2005/Atom}"

HOSTILE_TITLE = f"Attention {SCRIPT} {IMG} ]]> {RICH} {MD_LINK} {CONTROL}"
HOSTILE_ABSTRACT = f"We show {SCRIPT} and {IMG} ]]> in {MD_LINK}.\n\n Second\tparagraph {RICH}."
HOSTILE_AUTHORS = [
    f"Ann {SCRIPT}",
    "[bold]Bob[/bold]",
    "Cy\x1b]8;;https://evil.example\x1b\\x",
    "Di",
]


def _paper_hostile() -> Paper:
    return Paper(
        id="arxiv:2503.11731",
        title=HOSTILE_TITLE,
        abstract=HOSTILE_ABSTRACT,
        authors=HOSTILE_AUTHORS,
        author_count=7,
        categories=["cs.CL", f"cs.{SCRIPT}"],
        arxiv_id="2503.11731",
        arxiv_version=2,
        listed=dt.date(2025, 9, 29),
    )


def _paper_doi() -> Paper:
    return Paper(
        id="doi:10.1000/xyz<1>",
        title="A DOI-only paper about [links](https://evil.example)",
        abstract="Plain abstract.",
        authors=["Eve Example"],
        categories=["cs.IR"],
        doi="10.1000/xyz<1>",
        submitted=dt.date(2025, 9, 28),
    )


def _paper_links() -> Paper:
    # no id at all: the guid comes from the content id; the link from paper.links
    return Paper(
        title="Only links here",
        abstract="Abstract of a paper with only links.",
        links={
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "pdf": "javascript:alert(1)",
            "hf": "https://huggingface.co/papers/x(1)?a=1&b=2",
        },
    )


def _paper_bare() -> Paper:
    return Paper(title="", abstract="No title and no links, just an abstract", author_count=12)


def _why_full() -> Why:
    return Why(
        neighbours=[
            Neighbour(1, "arxiv:2401.00001", f"My own {SCRIPT} paper", 0.8312, "own"),
            Neighbour(2, "arxiv:2401.00002", "A liked paper", 0.7049, "liked"),
            Neighbour(3, "arxiv:2401.00003", "Third neighbour", 0.61, "own"),
        ],
        terms=["attention", "retrieval"],
        rule="follows author Ann Lee",
        phrases=["mixture of experts", f"CLIP {SCRIPT}"],
        sentences=["Second paragraph [red]x[/red]."],
        percentile=2,
        among=340,
        closeness="strong",
    )


def _digest(entries: list[Ranked] | None = None) -> Digest:
    if entries is None:
        parts = {"similarity": 0.61, "keywords": 0.2, "feedback": 0.0, "follow": 0.25}
        entries = [
            Ranked(_paper_hostile(), 11, 0.71234, _why_full(), parts),
            Ranked(_paper_doi(), 12, 0.5, Why(phrases=["doi"]), {"similarity": 0.5}),
            Ranked(_paper_links(), 13, 0.45, Why(), {}),
            Ranked(_paper_bare(), 14, 0.4, Why(rule=f"follows keyword {RICH}"), {}),
        ]
    return Digest(
        profile="alice <b>",
        created=dt.datetime(2025, 9, 30, 7, 0, tzinfo=dt.UTC),
        start=dt.date(2025, 9, 29),
        end=dt.date(2025, 9, 29),
        candidates=340,
        entries=entries,
    )


ARXIV_URL = "https://arxiv.org/abs/2503.11731"
DOI_URL = "https://doi.org/10.1000/xyz%3C1%3E"
HF_URL = "https://huggingface.co/papers/x%281%29?a=1&b=2"
EXPECTED_URLS = [ARXIV_URL, DOI_URL, HF_URL, None]
CLEAN_TITLE = clean_text(HOSTILE_TITLE)


# --------------------------------------------------------------------------- text and links


def test_clean_text_removes_controls_and_collapses_space() -> None:
    assert clean_text(CONTROL) == "ab[31mcdef"
    assert clean_text(" a\n\tb  \r\n c ") == "a b c"
    assert clean_text("\ud800x\ufffe") == "x"
    assert clean_text(None) == ""
    assert "\x1b" not in CLEAN_TITLE and "\x00" not in CLEAN_TITLE
    assert SCRIPT in CLEAN_TITLE  # cleaning is not escaping: each output escapes


def test_paper_url_prefers_arxiv_then_doi_then_links() -> None:
    assert [paper_url(e.paper) for e in _digest().entries] == EXPECTED_URLS
    both = Paper(arxiv_id="hep-th/9901001", doi="10.1/x", links={"abs": "https://x.org/"})
    assert paper_url(both) == "https://arxiv.org/abs/hep-th/9901001"
    assert paper_url(Paper(doi="10.1/x", links={"abs": "https://x.org/"})) == (
        "https://doi.org/10.1/x"
    )
    ordered = Paper(links={"code": "https://github.com/a/b", "abs": "https://x.org/abs/1"})
    assert paper_url(ordered) == "https://x.org/abs/1"
    assert paper_url(Paper(links={"license": "https://l.org/"})) is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://arxiv.org@evil.example/",
        "https://x.org/a b",
        "https://x.org/\x1b]8;;",
        "//evil.example/x",
        "https://[::1/",
        "",
    ],
)
def test_safe_url_rejects_what_is_not_a_plain_http_link(url: str) -> None:
    assert safe_url(url) is None


def test_safe_url_quotes_markup_characters() -> None:
    url = safe_url("HTTPS://Example.ORG/a(b)<c>\"d'?q=<1>&r=2#f(g)")
    assert url == "https://example.org/a%28b%29%3Cc%3E%22d%27?q=%3C1%3E&r=2#f%28g%29"
    assert safe_url("https://x.org/a%20b") == "https://x.org/a%20b"  # no double quoting


def test_why_lines_name_papers_place_and_phrases_without_raw_numbers() -> None:
    lines = why_lines(_why_full())
    assert lines == [
        "follows author Ann Lee · strong match: top 2% of 340 papers",
        f"close to your papers «My own {SCRIPT} paper» and «Third neighbour»; "
        "like «A liked paper», which you liked",
        f"shares “mixture of experts”, “CLIP {SCRIPT}”",
    ]
    assert why_lines(_why_full(), 1)[1] == f"close to your paper «My own {SCRIPT} paper»"
    assert why_lines(_why_full(), standing=False)[0] == "follows author Ann Lee"
    assert not any("0.8" in line or "0.7" in line for line in lines)  # no cosines
    assert why_lines(Why(terms=["loss", "size"])) == []  # raw terms are never shown
    assert why_lines(Why()) == []


def test_why_summary_is_one_short_line() -> None:
    summary = _why_full().summary()
    assert summary == (
        "follows author Ann Lee · strong match: top 2% of 340 papers · "
        f"close to your paper «My own {SCRIPT} paper» · "
        f"shares “mixture of experts”, “CLIP {SCRIPT}”"
    )
    liked = Why(neighbours=[Neighbour(2, "arxiv:2", "A liked paper", 0.7, "liked")])
    assert liked.summary() == "like «A liked paper», which you liked"
    assert Why(percentile=40, among=1234, closeness="weak").standing() == (
        "weak match: top 40% of 1,234 papers"
    )


def test_items_mark_the_best_sentences_in_the_abstract() -> None:
    item = digest_items(_digest())[0]
    assert item.sentences == ["Second paragraph [red]x[/red]."]
    marked = [text for text, highlighted in item.abstract_marked if highlighted]
    assert marked == item.sentences
    assert "".join(text for text, _ in item.abstract_marked) == item.abstract
    assert item.match == "top 2%" and item.standing.startswith("strong match")
    old = digest_items(_digest())[1]  # no place (a digest recorded before places were)
    assert old.match == "0.500" and old.sentences == []


def test_guids_are_stable_and_urns() -> None:
    digest = _digest()
    guids = [paper_guid(e) for e in digest.entries]
    assert guids[0] == "urn:paperradar:arxiv:2503.11731"
    assert guids[1] == "urn:paperradar:doi:10.1000/xyz%3C1%3E"
    assert re.fullmatch(r"urn:paperradar:cid:[0-9a-f]{16}", guids[2])
    assert len(set(guids)) == len(guids)
    # the same papers in a later digest keep their guids
    assert [paper_guid(e) for e in _digest().entries] == guids
    bare = Ranked(Paper(), 99, 0.1, Why())
    assert paper_guid(bare) == "urn:paperradar:row:99"


def test_items_summarise_authors_dates_and_titles() -> None:
    items = digest_items(_digest())
    assert [i.rank for i in items] == [1, 2, 3, 4]
    assert items[0].byline == f"Ann {SCRIPT}, [bold]Bob[/bold], Cy]8;;https://evil.example\\x +4"
    assert items[1].byline == "Eve Example"
    assert items[2].byline == ""
    assert items[3].byline == "12 authors"
    assert [i.day for i in items] == ["2025-09-29", "2025-09-28", "", ""]
    assert items[3].title == "No title and no links, just an abstract"
    assert items[0].parts == "similarity 0.610 · keywords 0.200 · follow 0.250"


# --------------------------------------------------------------------------- terminal


def _terminal(digest: Digest, *, compact: bool = False, width: int = 400) -> str:
    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    to_terminal(digest, console, compact=compact)
    return console.export_text()


def _single(paper: Paper, why: Why | None = None) -> Digest:
    return _digest([Ranked(paper, 1, 0.5, why or Why(), {})])


def test_terminal_shows_titles_and_markup_literally() -> None:
    title = f"Bold claims {RICH} and [bold]more[/bold] :smile: [link=https://evil.example]x[/link]"
    paper = Paper(id="arxiv:1", title=title, authors=["[bold]Bob[/bold]"], arxiv_id="2501.00001")
    why = Why(phrases=["[i]t[/i]"], rule="follows author [bold]Bob[/bold]")
    text = _terminal(_single(paper, why))
    assert title in text
    assert "[bold]Bob[/bold]" in text
    assert "follows author [bold]Bob[/bold]" in text
    assert "shares “[i]t[/i]”" in text
    assert "arxiv:1" in text


def test_terminal_table_columns_and_why() -> None:
    text = _terminal(_digest())
    header = next(line for line in text.splitlines() if "title" in line)
    assert re.search(r"#.*title.*authors.*listed.*categories.*match.*why", header)
    assert "Paper radar: alice <b> · 2025-09-29" in text
    assert "4 of 340 candidates" in text
    assert "top 2%" in text and "strong" in text and "2025-09-29" in text and "cs.CL" in text
    assert "0.712" not in text and "0.83" not in text  # no raw score or cosine
    assert "0.500" in text  # an explanation without a place shows the score
    assert "close to your paper «My own <script>alert(1)</script> paper»" in text
    assert "Third neighbour" not in text  # two neighbours in the table
    assert "shares “mixture of experts”" in text
    assert "\x1b" not in text and "\x00" not in text


def test_terminal_compact_uses_the_summary() -> None:
    text = _terminal(_digest(), compact=True, width=600)
    assert "strong match: top 2% of 340 papers · close to your paper «My own" in text
    assert "Third neighbour" not in text  # the summary names the nearest paper only
    assert "shares “mixture of experts”" in text


def test_terminal_links_titles_and_strips_escapes_from_feed_text() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=300, force_terminal=True, color_system="truecolor")
    to_terminal(_digest(), console)
    out = buffer.getvalue()
    assert re.search(r"\x1b\]8;id=\d+;" + re.escape(ARXIV_URL) + r"\x1b\\", out)
    assert "\x1b[31m" not in out  # the title's own escape sequence is gone
    assert "\x1b]8;;https://evil.example" not in out  # an author's hyperlink injection too
    assert "\x07" not in out and "\x00" not in out


@pytest.mark.parametrize("width", [60, 80, 100, 139, 140, 200])
def test_terminal_table_fits_the_width(width: int) -> None:
    lines = _terminal(_digest(), width=width).splitlines()
    rows = [line for line in lines if line[:1] in ("┏", "┃", "│", "├", "└")]
    assert len(rows) > 10
    assert all(len(line) <= width for line in lines)
    assert all(line.rstrip()[-1] in "┓┃│┤┘" for line in rows)  # no column cut off
    header = next(line for line in rows if "title" in line)
    assert ("authors" in header) == (width >= render.WIDE_TERMINAL)


def test_terminal_narrow_folds_facts_under_the_title() -> None:
    paper = Paper(
        id="arxiv:2509.01234",
        title="Short title",
        authors=["Jane Doe", "John Smith"],
        categories=["cs.CL", "cs.IR"],
        listed=dt.date(2025, 9, 29),
    )
    text = _terminal(_single(paper, Why(phrases=["retrieval"])), width=100)
    assert "Jane Doe, John Smith · 2025-09-29 · cs.CL · cs.IR" in text
    assert "shares “retrieval”" in text


def test_terminal_empty_digest() -> None:
    text = _terminal(_digest([]))
    assert "no new papers (340 candidates)" in text


# --------------------------------------------------------------------------- Markdown


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def _parse_html(document: str) -> _Tags:
    parser = _Tags()
    parser.feed(document)
    parser.close()
    return parser


def test_markdown_layout() -> None:
    md = to_markdown(_digest())
    lines = md.splitlines()
    assert lines[0] == "# Paper radar: alice &lt;b&gt; · 2025-09-29"
    assert "1. **[Attention &lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert f"]({ARXIV_URL})**" in md
    assert "2. **[A DOI\\-only" not in md  # '-' is not escaped needlessly
    assert f"2. **[A DOI-only paper about \\[links\\](https\\://evil.example)]({DOI_URL})**" in md
    assert "   - by Eve Example · 2025-09-28 · cs.IR · doi:10.1000/xyz&lt;1&gt;" in md
    assert "   - score 0.712 (similarity 0.610 · keywords 0.200 · follow 0.250)" in md
    assert "   - why: follows author Ann Lee · strong match: top 2% of 340 papers; " in md
    assert "   - matches: “Second paragraph \\[red\\]x\\[/red\\].”" in md
    assert "4. **No title and no links, just an abstract**" in md
    assert "   - why: follows keyword \\[red\\]x\\[/red\\]" in md


def test_markdown_renders_without_feed_html_or_links() -> None:
    digest = _digest()
    rendered = MarkdownIt("commonmark").render(to_markdown(digest))  # raw HTML allowed
    parsed = _parse_html(rendered)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "img", "b", "iframe", "code"}
    hrefs = [attrs.get("href") for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs == [u for u in EXPECTED_URLS if u]
    text = "".join(parsed.text)
    assert CLEAN_TITLE in text  # the title reads as it was written
    assert MD_LINK in text and RICH in text
    assert "[links](https://evil.example)" in text


def test_markdown_escapes_emphasis_code_and_images() -> None:
    paper = Paper(title="*a* _b_ `c` ![i](https://x.org/i.png) <https://x.org> &amp; | ~d~")
    md = to_markdown(_single(paper))
    rendered = MarkdownIt("commonmark").render(md)
    parsed = _parse_html(rendered)
    assert {tag for tag, _ in parsed.tags} <= {"h1", "p", "ol", "li", "strong", "ul"}
    assert paper.title in "".join(parsed.text)


def test_markdown_empty_digest() -> None:
    assert "No new papers in this window." in to_markdown(_digest([]))


# --------------------------------------------------------------------------- HTML


CSP_META = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
)


def test_html_is_self_contained_and_escaped() -> None:
    document = to_html(_digest())
    assert CSP_META in document
    assert "<script" not in document.lower()
    assert "<img" not in document.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in document
    parsed = _parse_html(document)
    allowed = {"html", "head", "meta", "title", "style", "body", "header", "main", "h1", "h2"}
    allowed |= {"p", "ol", "li", "ul", "a", "span", "details", "summary", "mark"}
    assert {tag for tag, _ in parsed.tags} <= allowed
    # the only URLs are the paper links, on <a href>
    links = []
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            if name == "href":
                assert tag == "a"
                links.append(value)
            else:
                assert name not in ("src", "srcset", "action", "style", "background")
                assert not name.startswith("on")
                assert "http" not in (value or "")
    assert links == [u for u in EXPECTED_URLS if u]
    css = "".join(parsed.styles)
    assert "http" not in css and "url(" not in css and "@import" not in css
    outside_links = re.sub(r'<a href="[^"]*"', "", document)
    outside_text = "".join(parsed.text)
    assert len(re.findall("https?://", outside_links)) == len(
        re.findall("https?://", outside_text)
    )  # only in escaped text


def test_html_shows_each_paper() -> None:
    document = to_html(_digest())
    parsed = _parse_html(document)
    text = "".join(parsed.text)
    assert CLEAN_TITLE in text
    assert clean_text(HOSTILE_ABSTRACT) in text
    assert f"Ann {SCRIPT}, [bold]Bob[/bold]" in text
    for fact in ("2025-09-29", "cs.CL", "top 2%", "arxiv:2503.11731", "mixture of experts"):
        assert fact in text
    assert "score 0.712" not in text  # in the tooltip only
    assert 'title="score 0.712 (similarity 0.610' in document
    assert (
        "close to your paper «My own <script>alert(1)</script> paper»; "
        "like «A liked paper», which you liked" in text
    )
    assert "Third neighbour" not in text  # the two nearest papers
    assert "Paper radar: alice <b> · 2025-09-29" in text
    values = [attrs.get("value") for tag, attrs in parsed.tags if tag == "li" and "value" in attrs]
    assert values == ["1", "2", "3", "4"]


def test_html_marks_the_best_sentences_escaped() -> None:
    document = to_html(_digest())
    assert "<mark>Second paragraph [red]x[/red].</mark>" in document
    hostile = clean_text(HOSTILE_ABSTRACT).split(". ")[0] + "."
    paper = _paper_hostile()
    why = Why(sentences=[hostile], percentile=1, among=10, closeness="strong")
    document = to_html(_single(paper, why))
    assert "<mark>We show &lt;script&gt;alert(1)&lt;/script&gt; and &#34;&gt;&lt;img" in document
    assert "<script>" not in document and "<img" not in document
    parsed = _parse_html(document)
    assert [tag for tag, _ in parsed.tags].count("mark") == 2  # the why list and the abstract


def test_html_empty_digest() -> None:
    document = to_html(_digest([]))
    assert "No new papers in this window." in document
    assert CSP_META in document


# --------------------------------------------------------------------------- RSS and Atom


def _titles() -> list[str]:
    """The titles as a feed carries them (:func:`feed_text`): with the word joiners gone,
    the titles themselves."""
    titles = [i.title for i in digest_items(_digest())]
    inert = [feed_text(t) for t in titles]
    assert [t.replace(WORD_JOINER, "") for t in inert] == titles
    assert inert != titles  # the hostile title had markup
    return inert


def _plain(text: str) -> str:
    return text.replace(WORD_JOINER, "")


def test_rss_parses_back() -> None:
    xml = to_rss(_digest(), "https://me.example/radar.xml")
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert len(feed.entries) == 4
    assert [e.title for e in feed.entries] == _titles()
    assert _plain(feed.entries[0].title) == CLEAN_TITLE
    assert all(e.title_detail.type == "text/plain" for e in feed.entries)
    assert [e.get("link") for e in feed.entries] == EXPECTED_URLS
    assert [e.id for e in feed.entries] == [paper_guid(r) for r in _digest().entries]
    assert all(not e.guidislink for e in feed.entries)
    first = feed.entries[0]
    assert [_plain(a["name"]) for a in first.authors] == [clean_text(a) for a in HOSTILE_AUTHORS]
    assert [_plain(t.term) for t in first.tags] == ["cs.CL", f"cs.{SCRIPT}"]
    assert first.published_parsed[:3] == (2025, 9, 29)
    assert feed.entries[1].published_parsed[:3] == (2025, 9, 28)
    # the description is HTML whose text is the abstract and the why: escaped, not markup
    assert f"&lt;{WORD_JOINER}script&gt;alert(1)&lt;{WORD_JOINER}/script&gt;" in first.summary
    assert "<script" not in first.summary and "<img" not in first.summary
    assert "Why: follows author Ann Lee" in first.summary
    assert any(link["rel"] == "self" for link in feed.feed.links)
    assert _plain(feed.feed.title) == "Paper radar: alice <b>"  # the same every day: one feed
    assert feed.feed.subtitle.startswith("2025-09-29: 4 of 340 candidates")


def test_rss_escapes_in_xml() -> None:
    xml = to_rss(_digest())
    root = ET.fromstring(xml)
    items = root.findall("./channel/item")
    assert [i.findtext("title") for i in items] == _titles()
    description = items[0].findtext("description") or ""
    assert "<p>" in description  # our paragraphs ...
    assert SCRIPT not in description  # ... around HTML-escaped feed text
    assert f"&lt;{WORD_JOINER}script&gt;" in description
    assert "\x00" not in xml and "\x1b" not in xml
    assert items[0].findtext("guid") == "urn:paperradar:arxiv:2503.11731"
    assert items[0].find("guid").get("isPermaLink") == "false"  # type: ignore[union-attr]
    assert root.find("./channel/link") is None  # no feed URL given


def test_atom_parses_back() -> None:
    xml = to_atom(_digest(), "https://me.example/radar.atom")
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == 4
    assert [e.title for e in feed.entries] == _titles()
    assert [e.id for e in feed.entries] == [paper_guid(r) for r in _digest().entries]
    alternates = [
        next((link.href for link in e.get("links", []) if link.rel == "alternate"), None)
        for e in feed.entries
    ]
    assert alternates == EXPECTED_URLS
    first = feed.entries[0]
    assert first.summary_detail.type == "text/plain"
    assert _plain(first.summary).startswith(clean_text(HOSTILE_ABSTRACT))
    assert "Why: follows author Ann Lee" in first.summary
    assert [_plain(a["name"]) for a in first.authors] == [clean_text(a) for a in HOSTILE_AUTHORS]
    assert [_plain(t.term) for t in first.tags] == ["cs.CL", f"cs.{SCRIPT}"]
    assert first.published_parsed[:3] == (2025, 9, 29)
    assert feed.feed.id == "urn:paperradar:digest:alice%20%3Cb%3E"
    assert feed.feed.links[0].href == "https://me.example/radar.atom"
    assert _plain(feed.feed.title) == "Paper radar: alice <b>"


def test_atom_escapes_in_xml() -> None:
    xml = to_atom(_digest())
    root = ET.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == _titles()
    summary = entries[0].find(f"{ATOM}summary")
    assert summary is not None and summary.get("type") == "text"
    assert _plain(summary.text or "").startswith(clean_text(HOSTILE_ABSTRACT))
    assert "]]&gt;" in xml and "\x00" not in xml
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated")
        assert entry.findtext(f"{ATOM}id", "").startswith("urn:paperradar:")


def test_feeds_are_stable_across_renders() -> None:
    assert to_rss(_digest()) == to_rss(_digest())
    later = _digest()
    later.created = dt.datetime(2025, 10, 1, 7, 0, tzinfo=dt.UTC)
    ids = [e.id for e in feedparser.parse(to_atom(_digest())).entries]
    assert [e.id for e in feedparser.parse(to_atom(later)).entries] == ids


@pytest.mark.parametrize("render_feed", [to_rss, to_atom])
def test_empty_feeds_parse(render_feed: Callable[..., str]) -> None:
    feed = feedparser.parse(render_feed(_digest([])))
    assert not feed.bozo
    assert feed.entries == []


@pytest.mark.parametrize("render_feed", [to_rss, to_atom])
def test_feed_url_must_be_http(render_feed: Callable[..., str]) -> None:
    with pytest.raises(UsageError):
        render_feed(_digest(), "javascript:alert(1)")


# --------------------------------------------------------------------------- files


def test_write_outputs_writes_each_file(tmp_path: Path) -> None:
    html_path = tmp_path / "out" / "digest.html"
    feed_path = tmp_path / "out" / "digest.atom"
    md_path = tmp_path / "out" / "digest.md"
    written = write_outputs(
        _digest(),
        html_path,
        feed_path,
        "atom",
        feed_url="https://me.example/digest.atom",
        markdown_path=md_path,
    )
    assert written == [html_path, feed_path, md_path]
    assert html_path.read_text(encoding="utf-8") == to_html(_digest())
    assert feed_path.read_text(encoding="utf-8") == to_atom(
        _digest(), "https://me.example/digest.atom"
    )
    assert md_path.read_text(encoding="utf-8") == to_markdown(_digest())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "digest.atom",
        "digest.html",
        "digest.md",
    ]
    assert os.stat(html_path).st_mode & 0o777 == 0o644


def test_write_outputs_rss_replaces_and_keeps_mode(tmp_path: Path) -> None:
    feed_path = tmp_path / "digest.xml"
    feed_path.write_text("old", encoding="utf-8")
    feed_path.chmod(0o600)
    assert write_outputs(_digest(), feed_path=feed_path) == [feed_path]
    assert feedparser.parse(feed_path.read_text(encoding="utf-8")).version == "rss20"
    assert os.stat(feed_path).st_mode & 0o777 == 0o600
    assert write_outputs(_digest()) == []


def test_write_outputs_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown feed format"):
        write_outputs(_digest(), feed_path=tmp_path / "x", fmt="json")
    assert list(tmp_path.iterdir()) == []


def test_write_failure_leaves_the_old_file_and_no_temporaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html_path = tmp_path / "digest.html"
    html_path.write_text("old page", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("paperradar.digest.render.os.replace", fail)
    with pytest.raises(PaperRadarError, match=r"cannot write .*No space left"):
        write_outputs(_digest(), html_path=html_path)
    assert html_path.read_text(encoding="utf-8") == "old page"
    assert [p.name for p in tmp_path.iterdir()] == ["digest.html"]


def test_write_to_a_directory_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(PaperRadarError, match="cannot write"):
        write_outputs(_digest(), html_path=tmp_path)
    assert list(tmp_path.iterdir()) == []
