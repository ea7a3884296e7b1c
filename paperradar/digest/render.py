"""Render a digest: a terminal table, Markdown, one self-contained HTML page, RSS 2.0, Atom 1.0.

Everything a feed supplies (titles, abstracts, author names, categories, ids, and the titles
of the profile's papers quoted in explanations) is untrusted text. Each output escapes it for
its own syntax, after :func:`clean_text` has removed control characters (terminal escape
sequences, characters XML 1.0 forbids, bidi overrides) and collapsed whitespace:

- terminal: cells are :class:`rich.text.Text`, never markup strings;
- Markdown: punctuation that makes links, images, emphasis or code is backslash-escaped,
  ``<``/``>``/``&`` become entities, and ``scheme://``/``www.`` are broken so renderers do
  not autolink them;
- HTML: a Jinja2 template with autoescape on and a Content-Security-Policy that allows
  nothing but inline styles; no scripts, fonts or other external assets;
- RSS/Atom: built with ElementTree, so XML escaping is the serialiser's. Feed readers
  disagree on whether an RSS ``<title>`` is text or HTML, and some render even Atom
  ``type="text"`` as HTML, so every text field of a feed goes through :func:`feed_text`
  first: it then reads the same either way and holds no markup. RSS descriptions are HTML
  (our ``<p>`` around HTML-escaped text); Atom titles and summaries are ``type="text"``.

Links come from :func:`paper_url` only: http(s) URLs with a plain host, re-quoted.
"""

from __future__ import annotations

import datetime as dt
import html
import html.entities
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

import jinja2
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from paperradar.errors import PaperRadarError, UsageError
from paperradar.models import Digest, Paper, Ranked, Why
from paperradar.radar.explain import highlighted_abstract

FeedFormat = Literal["rss", "atom"]
FEED_FORMATS: tuple[FeedFormat, ...] = ("rss", "atom")

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"

#: C0/C1 controls and DEL (terminal escapes), surrogates and non-characters (illegal in XML
#: 1.0), and bidi embeddings/overrides/isolates (text that displays other than it reads)
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
#: what HTML reads as markup in text: a "<" that opens a tag, an end tag, a comment, a
#: declaration or a processing instruction, and a "&" that may open a character reference
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_REF_OPEN = re.compile(r"&(?=(#|[A-Za-z][A-Za-z0-9]*;?))")
_LONGEST_ENTITY = max(len(name) for name in html.entities.html5)
#: U+2060 WORD JOINER: invisible, no line break; after "<" or "&" it ends the markup
WORD_JOINER = "\u2060"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}!|~#])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_AUTOLINK = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)|\b(www)\.")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$")
_URL_SAFE = "/:@!$&*+,;=%-._~"
#: which of ``paper.links`` to prefer as the paper's link (any other but "license" after)
_LINK_ORDER = ("abs", "doi", "url", "html", "hf", "pdf", "project", "code")
_NOT_PAPER_LINKS = frozenset({"license"})
_AUTHORS_SHOWN = 3


# --------------------------------------------------------------------------- text and links


def clean_text(text: str | None) -> str:
    """Feed text as one safe line: unsafe characters removed, whitespace collapsed."""
    if not text:
        return ""
    return " ".join(_UNSAFE.sub("", text).split())


def feed_text(text: str) -> str:
    """``text`` (already cleaned) as it goes into a feed: the same characters whether a
    reader shows it as text or renders it as HTML, and never markup.

    A word joiner (invisible) follows each ``<`` that HTML would take as the start of a tag,
    an end tag, a comment or a declaration (``<`` then a letter, ``/``, ``!`` or ``?``), and
    each ``&`` that would start a character reference (``&#``, or a name HTML knows, with or
    without its ``;``). Other ``<`` and ``&``, as in ``x < y & z``, stay as they are.
    """
    text = _TAG_OPEN.sub("<" + WORD_JOINER, text)
    return _REF_OPEN.sub(_ref_open, text)


def _ref_open(match: re.Match[str]) -> str:
    # HTML takes the longest name it knows that starts there, even without its ";"
    name = match.group(1)
    names = html.entities.html5
    longest = min(len(name), _LONGEST_ENTITY)  # bounded: a long run of letters stays linear
    if name.startswith("#") or any(name[:k] in names for k in range(1, longest + 1)):
        return "&" + WORD_JOINER
    return "&"


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL with a plain host (no user info), re-quoted so it
    holds no spaces, quotes, brackets or parentheses; else None."""
    if not url:
        return None
    url = url.strip()
    if _UNSAFE.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not _HOST.match(parts.netloc):
        return None
    out = f"{scheme}://{parts.netloc.lower()}{quote(parts.path, safe=_URL_SAFE)}"
    if parts.query:
        out += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    if parts.fragment:
        out += "#" + quote(parts.fragment, safe=_URL_SAFE + "?")
    return out


def paper_url(paper: Paper) -> str | None:
    """The paper's link: its arXiv abstract page, else its DOI, else the best safe link of
    ``paper.links`` (abstract page, DOI, URL, HTML, HF page, PDF, project, code)."""
    if paper.arxiv_id and paper.arxiv_id.strip():
        url = safe_url("https://arxiv.org/abs/" + quote(paper.arxiv_id.strip(), safe="/.-"))
        if url:
            return url
    if paper.doi and paper.doi.strip():
        url = safe_url("https://doi.org/" + quote(paper.doi.strip(), safe="/.-_;:"))
        if url:
            return url
    ordered = [paper.links[k] for k in _LINK_ORDER if k in paper.links]
    ordered += [v for k, v in paper.links.items() if k not in _LINK_ORDER + tuple(_NOT_PAPER_LINKS)]
    for link in ordered:
        url = safe_url(link)
        if url:
            return url
    return None


def paper_pid(entry: Ranked) -> str:
    """The paper's canonical id (``arxiv:…``, ``doi:…``, ``cid:…``), or one derived from it."""
    paper = entry.paper
    pid = clean_text(paper.id) or next(iter(paper.derived_aliases()), "") or f"row:{entry.row_id}"
    return clean_text(pid)


def paper_guid(entry: Ranked) -> str:
    """A stable ``urn:paperradar:<pid>`` for feed guids and ids: a paper keeps it across
    digests, so feed readers do not show it twice."""
    return "urn:paperradar:" + quote(paper_pid(entry), safe=":/.-_~@+,;=")


def why_lines(why: Why, neighbours: int | None = None, *, standing: bool = True) -> list[str]:
    """The explanation in (up to) three lines: the followed rule and (with ``standing``) the
    paper's place among the candidates ("strong match: top 2% of 300 papers"); the nearest
    own or liked papers, by title; the phrases it shares with the profile. Raw similarities
    stay out (they are in ``--json``)."""
    place = clean_text(why.standing()) if standing else ""
    head = [p for p in (clean_text(why.rule), place) if p]
    lines = [" · ".join(head)] if head else []
    near = [clean_text(n) for n in why.near(neighbours)]
    if near:
        lines.append("; ".join(near))
    shared = [p for p in (clean_text(p) for p in why.phrases) if p]
    if shared:
        lines.append("shares " + ", ".join(f"“{p}”" for p in shared))
    return lines


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- one view of an entry


@dataclass(frozen=True, slots=True)
class Item:
    """One digest entry with every field cleaned and formatted once, for all outputs."""

    rank: int
    pid: str
    guid: str
    url: str | None
    title: str
    abstract: str
    authors: list[str]
    byline: str  # first authors (+N)
    date: dt.date | None
    categories: list[str]
    score: float
    parts: str  # the score's parts, described
    why: list[str]
    #: the abstract as (text, highlighted) segments, the sentences that match the profile
    #: best highlighted (explain.highlighted_abstract)
    abstract_marked: list[tuple[str, bool]] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)  # the highlighted ones
    standing: str = ""  # "strong match: top 2% of 300 papers" (Why.standing), or ""
    #: for a column or a chip: "top 2%", or the score in a digest recorded before places were
    match: str = ""

    @property
    def score_note(self) -> str:
        """The raw score and its parts, for a tooltip or a note."""
        return f"score {self.score:.3f}" + (f" ({self.parts})" if self.parts else "")

    @property
    def day(self) -> str:
        return self.date.isoformat() if self.date else ""


def digest_items(digest: Digest) -> list[Item]:
    """The digest's entries as :class:`Item`, in rank order."""
    return [_item(rank, entry) for rank, entry in enumerate(digest.entries, start=1)]


def _item(rank: int, entry: Ranked) -> Item:
    paper = entry.paper
    pid = paper_pid(entry)
    abstract = clean_text(paper.abstract)
    title = clean_text(paper.title) or (_short(abstract, 90) if abstract else pid)
    authors = [a for a in (clean_text(a) for a in paper.authors) if a]
    categories = [c for c in (clean_text(c) for c in paper.categories) if c]
    marked = highlighted_abstract(abstract, [clean_text(t) for t in entry.why.sentences])
    return Item(
        rank=rank,
        pid=pid,
        guid=paper_guid(entry),
        url=paper_url(paper),
        title=title,
        abstract=abstract + (" …" if paper.abstract_truncated and abstract else ""),
        authors=authors,
        byline=_byline(authors, paper.author_count),
        date=paper.listed or paper.submitted or (paper.ingested.date() if paper.ingested else None),
        categories=categories,
        score=entry.score,
        parts=" · ".join(
            f"{name} {value:.3f}"
            for name, value in entry.parts.items()
            if value or name in ("similarity", "keywords")
        ),
        why=why_lines(entry.why, 2),
        abstract_marked=marked + ([(" …", False)] if paper.abstract_truncated and abstract else []),
        sentences=[text for text, highlighted in marked if highlighted],
        standing=clean_text(entry.why.standing()),
        match=(
            f"top {entry.why.percentile}%"
            if entry.why.percentile is not None
            else f"{entry.score:.3f}"
        ),
    )


def _byline(authors: list[str], count: int | None) -> str:
    total = max(count or 0, len(authors))
    if not authors:
        return f"{total} authors" if total else ""
    shown = authors[:_AUTHORS_SHOWN]
    more = total - len(shown)
    return ", ".join(shown) + (f" +{more}" if more > 0 else "")


def _heading(digest: Digest) -> str:
    return f"Paper radar: {clean_text(digest.profile)} · {digest.window}"


def _summary_line(digest: Digest) -> str:
    created = _utc(digest.created).strftime("%Y-%m-%d %H:%M UTC")
    return f"{len(digest.entries)} of {digest.candidates} candidates · made {created}"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


# --------------------------------------------------------------------------- terminal


#: below this many columns the table folds authors, date and categories under the title
WIDE_TERMINAL = 140


def to_terminal(digest: Digest, console: Console, *, compact: bool = False) -> None:
    """Print the digest as a table: rank, title (a hyperlink where the terminal shows them)
    and id, first authors, listing date, categories, match (top N% of the candidates) and
    why (up to three lines, or
    :meth:`Why.summary` with ``compact``). On a terminal narrower than
    :data:`WIDE_TERMINAL`, authors, date and categories go under the title. Paper text is
    never read as rich markup."""
    items = digest_items(digest)
    if not items:
        console.print(Text(f"{_heading(digest)}: no new papers ({digest.candidates} candidates)"))
        return
    wide = console.width >= WIDE_TERMINAL
    table = Table(
        title=Text(_heading(digest), style="bold"),
        caption=Text(_summary_line(digest)),
        show_lines=True,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("title", overflow="fold")
    if wide:
        table.add_column("authors", max_width=32, overflow="fold")
        table.add_column("listed", no_wrap=True)
        table.add_column("categories", max_width=18, overflow="fold")
    table.add_column("match", justify="right", no_wrap=True)
    table.add_column("why", overflow="fold")
    for item, entry in zip(items, digest.entries, strict=True):
        title = Text(item.title, style=Style(bold=True, link=item.url))
        title.append("\n" + item.pid, style=Style(dim=True))
        facts = [Text(item.byline), Text(item.day), Text(" ".join(item.categories))]
        if not wide:
            folded = " · ".join(f for f in (item.byline, item.day, *item.categories) if f)
            title.append("\n" + folded if folded else "", style=Style(dim=True))
            facts = []
        why = (
            clean_text(entry.why.summary())
            if compact
            else "\n".join(why_lines(entry.why, 2, standing=False))
        )
        match = item.match + (f"\n{entry.why.closeness}" if entry.why.closeness else "")
        table.add_row(Text(str(item.rank)), title, *facts, Text(match), Text(why))
    console.print(table)


# --------------------------------------------------------------------------- Markdown


def md_escape(text: str) -> str:
    """Clean feed text and escape it for inline Markdown: no links, images, HTML, code,
    emphasis or autolinks can come out of it."""
    text = _MD_SPECIAL.sub(r"\\\1", clean_text(text))
    text = _MD_ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_AUTOLINK.sub(lambda m: f"{m[1]}\\:" if m[1] else f"{m[2]}\\.", text)


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown: a heading with the profile and window, then one numbered
    item per paper (linked title; authors, date, categories and id; why; the sentences
    that match the profile; the score and its parts, last)."""
    lines = [f"# {md_escape(_heading(digest))}", "", md_escape(_summary_line(digest)), ""]
    items = digest_items(digest)
    if not items:
        lines += ["No new papers in this window.", ""]
    for item in items:
        title = md_escape(item.title)
        link = f"[{title}]({item.url})" if item.url else title
        indent = " " * len(f"{item.rank}. ")
        facts = [item.byline, item.day, ", ".join(item.categories), item.pid]
        lines.append(f"{item.rank}. **{link}**")
        lines.append(f"{indent}- by {md_escape(' · '.join(f for f in facts if f))}")
        if item.why:
            lines.append(f"{indent}- why: {md_escape('; '.join(item.why))}")
        for sentence in item.sentences:
            lines.append(f"{indent}- matches: “{md_escape(sentence)}”")
        lines.append(f"{indent}- {md_escape(item.score_note)}")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("paperradar.digest", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def to_html(digest: Digest) -> str:
    """The digest as one self-contained HTML page: inline CSS, no scripts, no external
    assets, a Content-Security-Policy that allows nothing else; links only on titles."""
    template = _templates().get_template("digest.html")
    return template.render(
        heading=_heading(digest),
        profile=clean_text(digest.profile),
        window=digest.window,
        summary=_summary_line(digest),
        items=digest_items(digest),
    )


# --------------------------------------------------------------------------- RSS and Atom


def to_rss(digest: Digest, feed_url: str | None = None) -> str:
    """The digest as RSS 2.0: one item per paper with a stable guid (``urn:paperradar:…``)."""
    self_url = _feed_url(feed_url)
    ET.register_namespace("atom", ATOM_NS)
    ET.register_namespace("dc", DC_NS)
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", _feed_title(digest))
    if self_url:
        _sub(channel, "link", self_url)
        ET.SubElement(
            channel, f"{{{ATOM_NS}}}link", href=self_url, rel="self", type="application/rss+xml"
        )
    _text(channel, "description", f"{digest.window}: {_summary_line(digest)}")
    _sub(channel, "lastBuildDate", format_datetime(_utc(digest.created)))
    _sub(channel, "generator", "paperradar")
    for item in digest_items(digest):
        node = ET.SubElement(channel, "item")
        _text(node, "title", item.title)
        if item.url:
            _sub(node, "link", item.url)
        _sub(node, "guid", item.guid).set("isPermaLink", "false")
        for name in item.authors:
            _text(node, f"{{{DC_NS}}}creator", name)
        _sub(node, "pubDate", format_datetime(_published(item, digest)))
        for category in item.categories:
            _text(node, "category", category)
        # HTML, as readers take it: our paragraphs around escaped text
        paragraphs = [feed_text(p) for p in [item.abstract, *_explanation(item)] if p]
        _sub(node, "description", "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))
    return _serialise(rss)


def to_atom(digest: Digest, feed_url: str | None = None) -> str:
    """The digest as Atom 1.0: one entry per paper with a stable id (``urn:paperradar:…``)."""
    self_url = _feed_url(feed_url)
    # plain names and an xmlns attribute: ElementTree cannot mix a default namespace with
    # the unqualified attributes Atom uses
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _sub(feed, "id", "urn:paperradar:digest:" + quote(clean_text(digest.profile), safe=""))
    _text(feed, "title", _feed_title(digest)).set("type", "text")
    _text(feed, "subtitle", f"{digest.window}: {_summary_line(digest)}").set("type", "text")
    _sub(feed, "updated", _rfc3339(_utc(digest.created)))
    _sub(ET.SubElement(feed, "author"), "name", "paperradar")
    _sub(feed, "generator", "paperradar")
    if self_url:
        ET.SubElement(feed, "link", rel="self", href=self_url)
    for item in digest_items(digest):
        entry = ET.SubElement(feed, "entry")
        _sub(entry, "id", item.guid)
        _text(entry, "title", item.title).set("type", "text")
        published = _rfc3339(_published(item, digest))
        _sub(entry, "published", published)
        _sub(entry, "updated", published)
        for name in item.authors:
            _text(ET.SubElement(entry, "author"), "name", name)
        if item.url:
            ET.SubElement(entry, "link", rel="alternate", type="text/html", href=item.url)
        for category in item.categories:
            ET.SubElement(entry, "category", term=feed_text(category))
        summary = "\n\n".join(feed_text(p) for p in [item.abstract, *_explanation(item)] if p)
        _sub(entry, "summary", summary).set("type", "text")
    return _serialise(feed)


def _feed_title(digest: Digest) -> str:
    # the same every day, so a reader keeps one feed per profile
    return f"Paper radar: {clean_text(digest.profile)}"


def _explanation(item: Item) -> list[str]:
    why = f"Why: {'; '.join(item.why)}" if item.why else ""
    matches = [f"Matches: “{s}”" for s in item.sentences]
    return [why, *matches, f"Rank {item.rank} · {item.pid} · {item.score_note}"]


def _feed_url(url: str | None) -> str | None:
    if url is None:
        return None
    checked = safe_url(url)
    if checked is None:
        raise UsageError(f"the feed URL must be an http(s) URL: {url!r}")
    return checked


def _published(item: Item, digest: Digest) -> dt.datetime:
    if item.date is None:
        return _utc(digest.created)
    return dt.datetime.combine(item.date, dt.time(), tzinfo=dt.UTC)


def _rfc3339(moment: dt.datetime) -> str:
    return _utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    node.text = _UNSAFE.sub("", text)
    return node


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """A text element of a feed: :func:`feed_text`, then :func:`_sub`."""
    return _sub(parent, tag, feed_text(text))


def _serialise(root: ET.Element) -> str:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'


# --------------------------------------------------------------------------- files


def write_outputs(
    digest: Digest,
    html_path: str | os.PathLike[str] | None = None,
    feed_path: str | os.PathLike[str] | None = None,
    fmt: str = "rss",
    *,
    feed_url: str | None = None,
    markdown_path: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write the digest's HTML page, feed (RSS or Atom, by ``fmt``) and Markdown to the
    paths given, each atomically (a reader sees the old file or the new one, never half of
    one). Everything is rendered before anything is written. Returns the paths written.
    An unknown ``fmt`` (one of :data:`FEED_FORMATS`) is a :class:`UsageError`."""
    if fmt not in FEED_FORMATS:
        raise UsageError(f"unknown feed format {fmt!r}: use one of {', '.join(FEED_FORMATS)}")
    outputs: list[tuple[Path, str]] = []
    if html_path is not None:
        outputs.append((Path(html_path), to_html(digest)))
    if feed_path is not None:
        render = to_rss if fmt == "rss" else to_atom
        outputs.append((Path(feed_path), render(digest, feed_url)))
    if markdown_path is not None:
        outputs.append((Path(markdown_path), to_markdown(digest)))
    for path, text in outputs:
        write_atomically(path, text)
    return [path for path, _ in outputs]


def write_atomically(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to a temporary file beside ``path``, then rename it over."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise PaperRadarError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise PaperRadarError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
