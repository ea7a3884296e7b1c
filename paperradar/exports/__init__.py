"""Export papers to citation managers: BibTeX, RIS and CSL-JSON writers (each read back by
the matching reader of :mod:`paperradar.readers`), one paper's citation, and the papers a
profile keeps (the reading list: saved and liked papers) or a digest showed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paperradar.errors import UsageError
from paperradar.exports.bibtex import to_bibtex
from paperradar.exports.citation import Citation, cite
from paperradar.exports.csl_json import to_csl_json
from paperradar.exports.keys import citation_keys
from paperradar.exports.reading_list import LISTS, Kept, digest_papers, kept_papers
from paperradar.exports.ris import to_ris
from paperradar.models import Paper

__all__ = [
    "FORMATS",
    "LISTS",
    "Citation",
    "ExportFormat",
    "Kept",
    "citation_keys",
    "cite",
    "digest_papers",
    "export",
    "export_format",
    "kept_papers",
    "to_bibtex",
    "to_csl_json",
    "to_ris",
]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """A file format papers are exported to: its writer, file extension and media type."""

    name: str
    extension: str
    media_type: str
    write: Callable[[Sequence[Paper]], str]


#: the export formats by ``--format`` name
FORMATS: dict[str, ExportFormat] = {
    "bibtex": ExportFormat("bibtex", "bib", "application/x-bibtex", to_bibtex),
    "ris": ExportFormat("ris", "ris", "application/x-research-info-systems", to_ris),
    "csl-json": ExportFormat(
        "csl-json", "json", "application/vnd.citationstyles.csl+json", to_csl_json
    ),
}


def export_format(name: str) -> ExportFormat:
    """The format called ``name``; a UsageError naming the known ones otherwise."""
    found = FORMATS.get(name)
    if found is None:
        raise UsageError(f"unknown export format {name!r}; choose from {', '.join(FORMATS)}")
    return found


def export(papers: Sequence[Paper], fmt: str) -> str:
    """The papers as the text of a ``fmt`` file."""
    return export_format(fmt).write(papers)
