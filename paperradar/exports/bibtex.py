"""Papers as BibTeX entries that LaTeX, biber, Zotero and paperradar's own reader read.

Text is escaped for LaTeX: the specials (``\\ { } $ & % # _ ~ ^``) become commands (braces
as ``\\textbraceleft{}``: BibTeX counts even escaped braces, so a lone one would break the
entry), ``--`` and doubled quotes are split so they stay literal, accented Latin letters
become accent commands (``é`` -> ``{\\'{e}}``, ``ø`` -> ``{\\o}``), ``–``/``—`` become
``--``/``---``; any other character stays as UTF-8. Titles are wrapped in a second pair of
braces, so styles keep their capitals. A paper with a journal reference is an ``@article``,
any other a ``@misc``; an arXiv paper carries ``eprint``, ``archivePrefix`` and
``primaryClass``. ``date`` (BibLaTeX) keeps the whole date, ``year`` and ``month`` are there
for BibTeX.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from paperradar.exports.fields import issued, one_line, url_of, venue_of
from paperradar.exports.keys import citation_keys
from paperradar.exports.names import split_name
from paperradar.models import Paper

_SPECIALS = {
    "\\": "\\textbackslash{}",
    "{": "\\textbraceleft{}",  # not \\{: BibTeX counts escaped braces, which must balance
    "}": "\\textbraceright{}",
    "$": "\\$",
    "&": "\\&",
    "%": "\\%",
    "#": "\\#",
    "_": "\\_",
    "~": "\\textasciitilde{}",
    "^": "\\textasciicircum{}",
    "–": "--",
    "—": "---",
}
#: combining mark -> LaTeX accent command
_ACCENTS = {
    "\u0301": "'",
    "\u0300": "`",
    "\u0302": "^",
    "\u0308": '"',
    "\u0303": "~",
    "\u0304": "=",
    "\u0307": ".",
    "\u0306": "u",
    "\u030c": "v",
    "\u030b": "H",
    "\u0327": "c",
    "\u0328": "k",
    "\u030a": "r",
    "\u0323": "d",
}
_LETTERS = {
    "ø": "o",
    "Ø": "O",
    "ß": "ss",
    "ł": "l",
    "Ł": "L",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def escape(text: str) -> str:
    """``text`` as LaTeX that reads back as the same characters (whitespace collapsed)."""
    text = one_line(text)
    out: list[str] = []
    for index, char in enumerate(text):
        following = text[index + 1 : index + 2]
        if char in _SPECIALS:
            out.append(_SPECIALS[char])
        elif char in "-`'" and following == char:
            out.append(char + "{}")  # "--" is a dash, "``" and "''" are quotes
        elif char.isascii():
            out.append(char)
        elif char in _LETTERS:
            out.append("{\\" + _LETTERS[char] + "}")
        else:
            out.append(_accented(char))
    return "".join(out)


def _accented(char: str) -> str:
    parts = unicodedata.normalize("NFD", char)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _ACCENTS:
        base = {"i": "\\i", "j": "\\j"}.get(parts[0], parts[0])
        return "{\\" + _ACCENTS[parts[1]] + "{" + base + "}}"
    return char


def author_field(names: Sequence[str]) -> str:
    """BibTeX's ``author``: ``Family, Given`` joined by ``and``; a one-word name, or one that
    would split wrongly (a comma, the word "and"), in braces."""
    out = []
    for raw in names:
        name = split_name(raw)
        words = {word.lower() for word in raw.split()}
        if name.single or "," in raw or "and" in words:
            out.append("{" + escape(raw) + "}")
        elif name.suffix:
            out.append(f"{escape(name.family)}, {escape(name.suffix)}, {escape(name.given)}")
        else:
            out.append(f"{escape(name.family)}, {escape(name.given)}")
    return " and ".join(out)


def _verbatim(text: str) -> str:
    """A DOI or URL as written (biblatex reads them verbatim); braces cannot be kept."""
    return "".join(text.replace("{", "").replace("}", "").replace("\\", "").split())


def entry(paper: Paper, key: str) -> str:
    """One ``@article`` / ``@misc`` entry."""
    fields: list[tuple[str, str]] = []
    if paper.title:
        fields.append(("title", "{" + escape(paper.title) + "}"))
    if paper.authors:
        fields.append(("author", author_field(paper.authors)))
    day = issued(paper)
    if day:
        fields.append(("year", str(day.year)))
        fields.append(("month", _MONTHS[day.month - 1]))
        fields.append(("date", day.isoformat()))
    venue = venue_of(paper)
    if venue:
        fields.append(("journal", escape(venue)))
    if paper.doi:
        fields.append(("doi", _verbatim(paper.doi)))
    if paper.arxiv_id:
        fields.append(("eprint", _verbatim(paper.arxiv_id)))
        fields.append(("archivePrefix", "arXiv"))
        if paper.categories:
            fields.append(("primaryClass", escape(paper.categories[0])))
    url = url_of(paper)
    if url:
        fields.append(("url", _verbatim(url)))
    if paper.keywords:
        fields.append(("keywords", escape(", ".join(paper.keywords))))
    if paper.abstract:
        fields.append(("abstract", escape(paper.abstract)))
    kind = "article" if venue else "misc"
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
    )
    return f"@{kind}{{{key},\n{body}\n}}\n"


def to_bibtex(papers: Sequence[Paper]) -> str:
    """The papers as a .bib file, one entry each, keys unique (see :mod:`.keys`)."""
    keys = citation_keys(papers)
    return "\n".join(entry(paper, key) for paper, key in zip(papers, keys, strict=True))
