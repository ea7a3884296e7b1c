"""Safe, streaming XML for the arXiv readers (export API Atom, OAI-PMH, RSS/Atom announcements).

The text is fed in chunks to defusedxml's parser (no DTD, no entity declarations, no external
references), so a file of any size is read in bounded memory and an entity bomb is refused
before anything expands. :func:`iter_events` yields the start and end of every element near
the root (the root, its children and grandchildren) together with the line its start tag is
on; a finished record is detached from its parent, so the records of a long feed do not pile
up under the root. One element cannot grow without bound either: a run of text, or markup
the parser holds (a tag with its attributes, a comment), longer than
``limits.MAX_RECORD_CHARS`` raises FormatError.

:func:`root_of` reads the root element's name and namespace from the first kilobytes of a
file without parsing it, for the readers' strict ``sniff``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from paperradar.errors import FormatError
from paperradar.readers.limits import MAX_RECORD_CHARS, too_long

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"

#: Characters read from the stream per parser feed.
CHUNK_CHARS = 1 << 16
#: Events are reported for elements at most this deep (0 is the root).
MAX_DEPTH = 2

_POSITION = re.compile(r":\s*line \d+, column \d+$")


@dataclass(frozen=True, slots=True)
class XmlEvent:
    """The start or end of an element at ``depth`` (0 = root); ``line`` is where it starts."""

    kind: str  # "start" or "end"
    elem: ET.Element
    line: int
    depth: int


class _Target:
    """A TreeBuilder target that records events and line numbers, and prunes finished nodes.

    It refuses a run of text longer than MAX_RECORD_CHARS (the builder would hold it whole)
    and counts its calls, so that the feeding loop can tell markup the parser is buffering.
    """

    def __init__(self, prune: frozenset[str], origin: str) -> None:
        self.parser: DefusedXMLParser | None = None
        self.calls = 0
        self._origin = origin
        self._prune = prune
        self._builder = ET.TreeBuilder()
        self._stack: list[tuple[ET.Element, int]] = []
        self._text = 0  # characters of text since the last tag
        self.events: list[XmlEvent] = []

    def line(self) -> int:
        return self.parser.parser.CurrentLineNumber if self.parser else 0

    def start(self, tag: str, attrib: dict[str, str]) -> ET.Element:
        self.calls += 1
        self._text = 0
        elem = self._builder.start(tag, attrib)
        line = self.line()
        depth = len(self._stack)
        self._stack.append((elem, line))
        if depth <= MAX_DEPTH:
            self.events.append(XmlEvent("start", elem, line, depth))
        return elem

    def end(self, tag: str) -> ET.Element:
        self.calls += 1
        self._text = 0
        elem = self._builder.end(tag)
        _, line = self._stack.pop()
        depth = len(self._stack)
        if depth <= MAX_DEPTH:
            self.events.append(XmlEvent("end", elem, line, depth))
        if depth and elem.tag in self._prune:
            self._stack[-1][0].remove(elem)
        return elem

    def data(self, text: str) -> None:
        self.calls += 1
        self._text += len(text)
        if self._text > MAX_RECORD_CHARS:
            what = "the text of one element"
            raise FormatError(self._origin, self.line(), too_long(what, self._text))
        self._builder.data(text)

    def close(self) -> ET.Element:
        return self._builder.close()


def iter_events(
    stream: TextIO, origin: str, prune: frozenset[str] = frozenset()
) -> Iterator[XmlEvent]:
    """Parse ``stream`` safely and yield element events near the root, in document order.

    Elements whose tag is in ``prune`` (the records) are detached from their parent once
    complete, so memory stays bounded however many records the document holds.

    Raises FormatError naming the line for text that is not well-formed XML (a truncated
    body included) and for any DTD, entity declaration or external reference.
    """
    target = _Target(prune, origin)
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    target.parser = parser
    pending = 0  # characters fed since the target last heard from the parser
    while True:
        chunk = stream.read(CHUNK_CHARS)
        calls = target.calls
        _feed(parser, chunk, origin)
        pending = pending + len(chunk) if target.calls == calls else 0
        if pending > MAX_RECORD_CHARS:  # one tag, attribute or comment the parser holds
            raise FormatError(origin, target.line(), too_long("one piece of markup", pending))
        yield from target.events
        target.events.clear()
        if not chunk:
            return


def _feed(parser: DefusedXMLParser, chunk: str, origin: str) -> None:
    try:
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        message = _POSITION.sub("", str(exc))
        if not chunk:
            message = f"the XML ends before the document is complete ({message}); truncated?"
        raise FormatError(origin, line, f"not well-formed XML: {message}") from exc
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        raise FormatError(
            origin, line, f"refusing XML with a DTD or entity declarations ({type(exc).__name__})"
        ) from exc


def local(tag: str) -> str:
    """The local part of a ``{namespace}name`` tag."""
    return tag.rpartition("}")[2]


def child_text(elem: ET.Element, tag: str) -> str | None:
    """The stripped text of the first child ``tag``; None when absent or empty."""
    child = elem.find(tag)
    if child is None:
        return None
    text = "".join(child.itertext()).strip()
    return text or None


def all_text(elem: ET.Element | None) -> str:
    return "".join(elem.itertext()).strip() if elem is not None else ""


# --- sniffing -------------------------------------------------------------------------------

_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_DOCTYPE = re.compile(r"\s*<!DOCTYPE\b[^\[>]*(?:\[.*?\]\s*)?>", re.DOTALL)
_START_TAG = re.compile(r"\s*<([A-Za-z_][\w.\-]*)(?::([A-Za-z_][\w.\-]*))?((?:\s[^>]*)?)/?>")
_XMLNS = re.compile(r"""\bxmlns(?::([\w.\-]+))?\s*=\s*(["'])(.*?)\2""", re.DOTALL)

# Markup (never text: a "<" in text is escaped) that tells arXiv's two Atom feeds apart.
#: The export API: the OpenSearch namespace, or a feed id under arxiv.org/api/.
API_MARKUP = re.compile(
    r"""xmlns:[\w.\-]+\s*=\s*["']http://a9\.com/-/spec/opensearch/1\.1/["']"""
    r"|<(?:[\w.\-]+:)?id>\s*https?://(?:export\.)?arxiv\.org/api/"
)
#: The announcement feeds: an announce_type element, or a feed id/link on rss.arxiv.org.
ANNOUNCE_MARKUP = re.compile(
    r"<(?:[\w.\-]+:)?announce_type>"
    r"|<(?:[\w.\-]+:)?(?:id|link)>\s*https?://rss\.arxiv\.org/"
    r"""|<(?:[\w.\-]+:)?link\s[^>]*href=["']https?://rss\.arxiv\.org/"""
)


@dataclass(frozen=True, slots=True)
class Root:
    """The root element as written: local name, its namespace and the namespaces declared."""

    name: str
    namespace: str | None
    declared: dict[str, str]  # prefix ("" for the default) -> namespace URI

    def declares(self, uri: str) -> bool:
        return uri in self.declared.values()


def root_of(head: str) -> Root | None:
    """The root element of the XML text ``head`` starts with, or None if it is not XML."""
    pos = 0
    while True:
        match = _PROLOG_ITEM.match(head, pos) or _DOCTYPE.match(head, pos)
        if not match:
            break
        pos = match.end()
    tag = _START_TAG.match(head, pos)
    if not tag:
        return None
    prefix, name = (tag.group(1), tag.group(2)) if tag.group(2) else ("", tag.group(1))
    declared = {m.group(1) or "": m.group(3) for m in _XMLNS.finditer(tag.group(3))}
    return Root(name=name, namespace=declared.get(prefix), declared=declared)
