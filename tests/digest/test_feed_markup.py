"""Feed text never becomes markup in a feed reader, and reads as written.

An RSS ``<title>`` may be shown as text or rendered as HTML (the spec does not say; Feedly,
Feedbin and NetNewsWire render or strip tags in it), and some readers render even Atom
``type="text"`` as HTML. So each title, author, category and paragraph is checked both ways,
after a real XML parse: as feedparser reads it (type and value), and as an HTML renderer
would (``html.parser``: no tag, comment or declaration, and the same characters). Hostile
titles must come out as inert text; harmless ones with ``<`` and ``&`` must come out
unchanged.
"""

from __future__ import annotations

import datetime as dt
import html
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser

import feedparser
import pytest

from paperradar.digest.render import WORD_JOINER, to_atom, to_rss
from paperradar.models import Digest, Paper, Ranked, Why

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"

HOSTILE = [
    "<i>in vivo</i> imaging of <sub>2</sub> sites",
    "<script>alert(1)</script> Attention",
    '"><img src=x onerror=alert(1)> retrieval',
    "<b onmouseover=alert(1)>bold</b> claims",
    "&lt;script&gt;alert(1)&lt;/script&gt; as written",
    "<!-- hidden -->shown <?php echo 1 ?> <!DOCTYPE x>",
    "Bounds for n<k and m</p>",
    "Entities &amp; &copy &#60; &#x3C; &notit;",
]
HARMLESS = [
    "Why x < y & z",
    "R&D at AT&T: a Q&A on 3 < 4 && 5 > 2",
]
ABSTRACT = "We show <script>alert(1)</script>, <i>x</i> &amp; x < y & z."


class Rendered(HTMLParser):
    """What an HTML renderer makes of a string: its markup and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.markup: list[str] = []
        self.text = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.markup.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self.markup.append(f"</{tag}>")

    def handle_comment(self, data: str) -> None:
        self.markup.append("<!--")

    def handle_decl(self, decl: str) -> None:
        self.markup.append("<!")

    def handle_pi(self, data: str) -> None:
        self.markup.append("<?")

    def unknown_decl(self, data: str) -> None:
        self.markup.append("<![")

    def handle_data(self, data: str) -> None:
        self.text += data


def _digest(titles: list[str]) -> Digest:
    entries = [
        Ranked(
            Paper(
                id=f"arxiv:2503.{11000 + n}",
                arxiv_id=f"2503.{11000 + n}",
                title=title,
                abstract=ABSTRACT,
                authors=[f"Ann <b>Lee</b> {n}"],
                categories=["cs.CL", "cs.<i>x</i>"],
                listed=dt.date(2025, 9, 29),
            ),
            n,
            0.5,
            Why(),
            {"similarity": 0.5},
        )
        for n, title in enumerate(titles, start=1)
    ]
    return Digest(
        profile="alice <b>",
        created=dt.datetime(2025, 9, 30, 7, 0, tzinfo=dt.UTC),
        start=dt.date(2025, 9, 29),
        end=dt.date(2025, 9, 29),
        candidates=10,
        entries=entries,
    )


def _reads_the_same_as_html(text: str) -> str:
    """``text`` has no markup for an HTML renderer, which shows the same characters; the
    text without its word joiners."""
    rendered = Rendered(text)
    assert rendered.markup == [], (text, rendered.markup)
    assert rendered.text == text
    return text.replace(WORD_JOINER, "")


def _rss_texts(xml: str) -> tuple[list[str], list[str], list[str], list[str]]:
    root = ET.fromstring(xml)
    items = root.findall("./channel/item")
    titles = [i.findtext("title") or "" for i in items]
    authors = [a.text or "" for i in items for a in i.findall(f"{DC}creator")]
    categories = [c.text or "" for i in items for c in i.findall("category")]
    channel = [root.findtext("./channel/title") or "", root.findtext("./channel/description") or ""]
    return titles, authors, categories, channel


def _atom_texts(xml: str) -> tuple[list[str], list[str], list[str], list[str]]:
    root = ET.fromstring(xml)
    entries = root.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") or "" for e in entries]
    authors = [a.text or "" for e in entries for a in e.findall(f"{ATOM}author/{ATOM}name")]
    categories = [c.get("term", "") for e in entries for c in e.findall(f"{ATOM}category")]
    feed = [root.findtext(f"{ATOM}title") or "", root.findtext(f"{ATOM}subtitle") or ""]
    return titles, authors, categories, feed


FORMATS: list[tuple[Callable[[Digest], str], Callable[[str], tuple[list[str], ...]]]] = [
    (to_rss, _rss_texts),
    (to_atom, _atom_texts),
]


@pytest.mark.parametrize(("render_feed", "texts"), FORMATS, ids=["rss", "atom"])
def test_hostile_titles_are_text_in_every_reader(
    render_feed: Callable[[Digest], str], texts: Callable[[str], tuple[list[str], ...]]
) -> None:
    xml = render_feed(_digest(HOSTILE))
    titles, authors, categories, channel = texts(xml)
    assert [_reads_the_same_as_html(t) for t in titles] == HOSTILE
    assert all(WORD_JOINER in t for t in titles)
    assert [_reads_the_same_as_html(a) for a in authors] == [
        f"Ann <b>Lee</b> {n}" for n in range(1, len(HOSTILE) + 1)
    ]
    assert {_reads_the_same_as_html(c) for c in categories} == {"cs.CL", "cs.<i>x</i>"}
    assert _reads_the_same_as_html(channel[0]) == "Paper radar: alice <b>"
    _reads_the_same_as_html(channel[1])

    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title_detail.type for e in feed.entries] == ["text/plain"] * len(HOSTILE)
    assert [e.title.replace(WORD_JOINER, "") for e in feed.entries] == HOSTILE
    assert feed.feed.title_detail.type == "text/plain"


@pytest.mark.parametrize(("render_feed", "texts"), FORMATS, ids=["rss", "atom"])
def test_harmless_titles_with_lt_and_amp_read_as_written(
    render_feed: Callable[[Digest], str], texts: Callable[[str], tuple[list[str], ...]]
) -> None:
    xml = render_feed(_digest(HARMLESS))
    titles = texts(xml)[0]
    assert titles == HARMLESS  # nothing added: no "<" or "&" here starts markup
    assert [_reads_the_same_as_html(t) for t in titles] == HARMLESS
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == HARMLESS
    assert [e.title_detail.type for e in feed.entries] == ["text/plain"] * len(HARMLESS)


def test_rss_description_is_our_paragraphs_around_text() -> None:
    xml = to_rss(_digest(HOSTILE[:1]))
    description = ET.fromstring(xml).findtext("./channel/item/description") or ""
    rendered = Rendered(description)
    assert set(rendered.markup) == {"<p>", "</p>"}  # the only markup is ours
    assert rendered.text.replace(WORD_JOINER, "").startswith(ABSTRACT)
    # a reader that decodes the entities once more before rendering still finds no tag
    assert set(Rendered(html.unescape(description)).markup) == {"<p>", "</p>"}
    summary = feedparser.parse(xml).entries[0].summary
    assert "<script" not in summary and "<i>" not in summary


def test_atom_summary_is_text_that_reads_the_same_as_html() -> None:
    xml = to_atom(_digest(HOSTILE[:1]))
    summary = ET.fromstring(xml).find(f"{ATOM}entry/{ATOM}summary")
    assert summary is not None and summary.get("type") == "text"
    assert _reads_the_same_as_html(summary.text or "").startswith(ABSTRACT)
    parsed = feedparser.parse(xml).entries[0]
    assert parsed.summary_detail.type == "text/plain"
    assert parsed.summary.replace(WORD_JOINER, "").startswith(ABSTRACT)
