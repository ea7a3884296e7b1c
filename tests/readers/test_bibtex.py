"""The BibTeX reader on real-looking exports (Zotero, Google Scholar, arXiv, DBLP, hand-kept)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from helpers import paths

from paperradar.errors import FormatError
from paperradar.models import Paper
from paperradar.readers import bibtex
from paperradar.readers._latex import latex_to_text
from paperradar.readers.base import BadRecord, ReadContext, Record

FIXTURES = paths.FIXTURES
HERE = FIXTURES / "bibtex"


def read(name: str) -> list[Record]:
    path = HERE / name
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(bibtex.READER.parse(fh, ReadContext(origin=str(path))))


def read_text(text: str) -> list[Record]:
    return list(bibtex.READER.parse(io.StringIO(text), ReadContext(origin="t.bib")))


def papers(records: list[Record]) -> list[Paper]:
    assert all(isinstance(record, Paper) for record in records), records
    return [record for record in records if isinstance(record, Paper)]


# -- Zotero ------------------------------------------------------------------------------


def test_zotero_arxiv_preprint_maps_every_field() -> None:
    first = papers(read("zotero.bib"))[0]
    assert first.title == "Attention Is All You Need"
    assert first.abstract.startswith("The dominant sequence transduction models are based")
    assert "the Transformer, based solely" in first.abstract
    assert first.abstract.endswith("by over 2 BLEU.")
    assert first.authors == [
        "Ashish Vaswani",
        "Noam Shazeer",
        "Niki Parmar",
        "Jakob Uszkoreit",
        "Llion Jones",
        "Aidan N. Gomez",
        "Lukasz Kaiser",
        "Illia Polosukhin",
    ]
    assert first.arxiv_id == "1706.03762"
    assert first.arxiv_version is None
    assert first.doi == "10.48550/arxiv.1706.03762"
    assert first.links == {
        "abs": "http://arxiv.org/abs/1706.03762",
        "doi": "https://doi.org/10.48550/arxiv.1706.03762",
    }
    assert first.submitted == dt.date(2023, 8, 1)  # month = aug, no day: the 1st
    assert first.keywords == [
        "Computer Science - Computation and Language",
        "Computer Science - Machine Learning",
    ]
    assert first.comment is None  # Zotero's "arXiv:1706.03762 [cs]" note only repeats the id
    assert first.journal_ref is None
    assert first.categories == []
    assert len(first.sightings) == 1
    sighting = first.sightings[0]
    assert (sighting.source, sighting.rank, sighting.seen_on) == ("bibtex", 1, None)
    assert sighting.locator.endswith("zotero.bib")


def test_zotero_journal_article_with_unicode_names_and_escapes() -> None:
    article = papers(read("zotero.bib"))[1]
    assert article.title == (
        "Stochastic Gradient Descent in Banach Spaces: Convergence under Łojasiewicz Conditions"
    )
    assert article.authors == ["Jörg Müller", "Søren Nørgaard", "Åsa Ångström"]
    assert "converges at rate $O(1/T)$ with 95% probability." in article.abstract
    assert article.abstract.endswith("covers {0,1}-valued losses & heavy-tailed noise.")
    assert article.journal_ref == "Journal of Machine Learning Research"
    assert article.submitted == dt.date(2024, 1, 1)  # a year alone: 1 January
    assert article.links == {"url": "https://jmlr.org/papers/v25/23-0412.html"}
    assert article.arxiv_id is None and article.doi is None


def test_zotero_conference_paper_and_version_note() -> None:
    records = papers(read("zotero.bib"))
    assert len(records) == 4
    conference, preprint = records[2], records[3]
    assert conference.title.startswith("An Image is Worth 16x16 Words: Transformers")
    assert conference.journal_ref == "International Conference on Learning Representations"
    assert conference.submitted == dt.date(2021, 5, 1)
    assert conference.abstract == ""
    assert conference.authors[0] == "Alexey Dosovitskiy" and len(conference.authors) == 12
    # Zotero 7 writes "arXiv:2502.13070 [physics]\nversion: 2" into the note.
    assert (preprint.arxiv_id, preprint.arxiv_version) == ("2502.13070", 2)
    assert preprint.comment is None
    assert preprint.abstract.startswith("Inelastic neutron scattering spectra")
    assert "an E(3)-equivariant network" in preprint.abstract
    assert [p.sightings[0].rank for p in records] == [1, 2, 3, 4]


# -- Google Scholar, arXiv, DBLP, Semantic Scholar -----------------------------------------


def test_google_scholar_entries() -> None:
    attention, preprint, resnet = papers(read("scholar.bib"))
    assert attention.authors[6] == "Łukasz Kaiser"  # Kaiser, {\L}ukasz
    assert attention.authors[5] == "Aidan N Gomez"
    assert attention.journal_ref == "Advances in neural information processing systems"
    assert attention.submitted == dt.date(2017, 1, 1)
    assert attention.arxiv_id is None
    # journal = {arXiv preprint arXiv:2503.11731}: an id, not a journal
    assert (preprint.arxiv_id, preprint.arxiv_version) == ("2503.11731", None)
    assert preprint.journal_ref is None
    assert preprint.authors == ["Wei Zhang", "María García", "Tobias Müller"]  # "others" dropped
    assert resnet.journal_ref == (
        "Proceedings of the IEEE conference on computer vision and pattern recognition"
    )


def test_arxiv_export_citation() -> None:
    rag, maldacena = papers(read("arxiv.bib"))
    assert rag.title == "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"
    assert rag.authors[6] == "Heinrich Küttler" and rag.authors[8] == "Wen-tau Yih"
    assert (rag.arxiv_id, rag.arxiv_version) == ("2005.11401", None)
    assert rag.categories == ["cs.CL"]
    assert rag.links == {"abs": "https://arxiv.org/abs/2005.11401"}
    assert rag.submitted == dt.date(2021, 1, 1)
    assert maldacena.arxiv_id == "hep-th/9711200"
    assert maldacena.categories == ["hep-th"]
    assert maldacena.authors == ["Juan M. Maldacena"]


def test_dblp_entries() -> None:
    records = papers(read("dblp.bib"))
    assert len(records) == 5  # the @proceedings volume is not a paper
    hca, adam, ldm, flashrag, ddpm = records
    assert hca.authors[-1] == "Rémi Munos"  # R{\'{e}}mi
    assert hca.authors[6] == "Hado van Hasselt"
    assert (hca.arxiv_id, hca.journal_ref) == ("1912.02503", None)  # journal = {CoRR}
    # the conference paper with archivePrefix + a versioned eprint
    assert adam.title == "Adam: A Method for Stochastic Optimization"
    assert (adam.arxiv_id, adam.arxiv_version) == ("1412.6980", 9)
    assert adam.authors == ["Diederik P. Kingma", "Jimmy Ba"]  # editors are not authors
    assert adam.journal_ref == (
        "3rd International Conference on Learning Representations, ICLR 2015, San Diego, CA, "
        "USA, May 7-9, 2015, Conference Track Proceedings"
    )
    assert ldm.authors[-1] == "Björn Ommer"  # Bj{\"{o}}rn
    assert ldm.doi == "10.1109/cvpr52688.2022.01042"
    assert ldm.journal_ref is not None and ldm.journal_ref.startswith("IEEE/CVF Conference")
    assert ldm.arxiv_id is None
    assert flashrag.title.endswith("Retrieval-Augmented Generation Research")
    assert flashrag.doi == "10.48550/arxiv.2405.13576"
    assert flashrag.arxiv_id == "2405.13576"
    assert flashrag.authors[3] == "Chenghao Zhang"  # DBLP's homonym number 0002 dropped
    # crossref: booktitle and year come from the @proceedings entry that follows
    assert ddpm.submitted == dt.date(2020, 1, 1)
    assert ddpm.journal_ref is not None
    assert ddpm.journal_ref.startswith("Advances in Neural Information Processing Systems 33")
    assert [p.sightings[0].rank for p in records] == [1, 2, 3, 4, 5]


def test_hand_kept_file_with_macros_comments_and_parentheses() -> None:
    records = papers(read("mixed.bib"))
    assert len(records) == 4  # @preamble, @comment, @string and the e-mail @ yield nothing
    sennrich, cech, toolformer, abstract_only = records
    assert sennrich.journal_ref == (
        "Proceedings of the 54th Annual Meeting of the Association for Computational "
        "Linguistics (Volume 1: Long Papers)"
    )
    assert sennrich.submitted == dt.date(2016, 8, 1)  # year = 2016 (a number), month = aug
    assert sennrich.doi == "10.18653/v1/p16-1162"

    assert cech.title == "Local SGD with Nested Braces: A Very Deep Look"  # first title wins
    assert cech.authors == [
        "Ondřej Čech",
        "José de la Fuente",
        "John Smith Jr.",
        "Laboratory for Learning and Inference",
    ]
    assert cech.journal_ref == "Advances in Neural Information Processing Systems"
    assert cech.submitted == dt.date(2025, 3, 14)
    assert (cech.arxiv_id, cech.arxiv_version) == ("2503.11731", 2)
    assert cech.categories == ["cs.LG"]
    assert cech.keywords == ["optimisation", "federated learning"]
    assert cech.comment == "Accepted (oral) at the workshop"
    assert cech.abstract == (
        "We revisit local SGD – a.k.a. federated averaging — and show a O(1/√T) rate; "
        "100% reproducible & open source."
    )

    assert toolformer.authors[2] == "Roberto Dessì"
    assert (toolformer.arxiv_id, toolformer.journal_ref) == ("2302.04761", None)
    assert toolformer.links == {"url": "https://api.semanticscholar.org/CorpusID:256697342"}

    assert abstract_only.title == ""
    assert abstract_only.abstract.startswith("An entry with an abstract but no title")
    assert abstract_only.submitted == dt.date(2024, 11, 1)
    assert (abstract_only.arxiv_id, abstract_only.arxiv_version) == ("2411.00001", 3)


# -- bad records and broken files ------------------------------------------------------------


def test_bad_records_name_the_entry_line_and_field() -> None:
    records = read("bad_records.bib")
    summary = [(type(r).__name__, r.line if isinstance(r, BadRecord) else r.title) for r in records]
    assert summary == [
        ("Paper", "A Good Entry Before the Bad Ones"),
        ("BadRecord", 3),
        ("BadRecord", 9),
        ("BadRecord", 14),
        ("BadRecord", 16),
        ("BadRecord", 18),
        ("BadRecord", 20),
        ("Paper", "The Entry After the Bad Ones Is Read"),
    ]
    reasons = [r.reason for r in records if isinstance(r, BadRecord)]
    assert reasons == [
        "entry 2 (notitle): no title or abstract",
        "entry 3 (badyear): 'year' is not a year: 'forthcoming'",
        "entry 4 (badmonth): 'month' is not a month: 'Smarch'",
        "entry 5 (baddoi): 'doi' is not a DOI: 'not a doi'",
        "entry 6 (badeprint): 'eprint' is not an arXiv id: 'hello'",
        "entry 7 (missingcomma): expected ',' after field 'title' at line 22",
    ]
    last = records[-1]
    assert isinstance(last, Paper) and last.sightings[0].rank == 8


def test_unterminated_entry_is_a_format_error_at_its_start() -> None:
    with pytest.raises(FormatError) as caught:
        read("broken.bib")
    assert caught.value.line == 6
    assert "unterminated @article entry" in caught.value.reason
    assert str(caught.value).startswith(str(HERE / "broken.bib") + ":6: ")


def test_unterminated_parenthesised_entry() -> None:
    text = '@misc{a, title = {Fine}}\n\n@misc(b,\n  title = "Open (never closed"\n'
    with pytest.raises(FormatError) as caught:
        read_text(text)
    assert caught.value.line == 3
    assert "no closing ')'" in caught.value.reason


def test_malformed_string_macro_is_a_format_error() -> None:
    with pytest.raises(FormatError) as caught:
        read_text('\n@string{oops "no equals sign"}\n@misc{a, title={T}}')
    assert caught.value.line == 2
    assert caught.value.reason.startswith("malformed @string: expected '='")


def test_crlf_line_numbers() -> None:
    text = "@misc{a,\r\n title={One}}\r\n\r\n@misc{b,\r\n year={2020}}\r\n"
    records = read_text(text)
    assert records[1] == BadRecord(4, "entry 2 (b): no title or abstract")


# -- syntax details ------------------------------------------------------------------------


def test_duplicate_field_keeps_the_first_value_and_names_are_case_insensitive() -> None:
    (paper,) = papers(read_text("@ARTICLE{k, TITLE = {First}, Title = {Second}, YEAR = 2001}"))
    assert paper.title == "First"
    assert paper.submitted == dt.date(2001, 1, 1)


def test_undefined_macro_is_empty_and_month_macros_are_predefined() -> None:
    text = "@misc{k, title = {T} # undefinedmacro # { end}, year = 1999, month = DEC}"
    (paper,) = papers(read_text(text))
    assert paper.title == "T end"
    assert paper.submitted == dt.date(1999, 12, 1)


def test_quoted_value_may_hold_braced_quotes() -> None:
    (paper,) = papers(read_text('@misc{k, title = "The {"}Quoted{"} Word", year = "2020"}'))
    assert paper.title == 'The "Quoted" Word'


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2025", dt.date(2025, 1, 1)),
        ("2025-03", dt.date(2025, 3, 1)),
        ("2025-03-14", dt.date(2025, 3, 14)),
        ("2025-03-14/2025-03-20", dt.date(2025, 3, 14)),
    ],
)
def test_biblatex_date_field(date: str, expected: dt.date) -> None:
    (paper,) = papers(read_text(f"@online{{k, title={{T}}, date={{{date}}}, year={{1990}}}}"))
    assert paper.submitted == expected


def test_bad_biblatex_date_is_a_bad_record() -> None:
    (record,) = read_text("@online{k,\n title={T},\n date={14 March}}")
    assert record == BadRecord(1, "entry 1 (k): 'date' is not a date: '14 March'")


def test_month_as_number_name_or_abbreviation() -> None:
    for month, number in (("{3}", 3), ("{March}", 3), ('"Sept."', 9), ("oct", 10)):
        (paper,) = papers(read_text(f"@misc{{k, title={{T}}, year={{2020}}, month={month}}}"))
        assert paper.submitted == dt.date(2020, number, 1), month


def test_eprint_of_another_archive_is_not_an_arxiv_id() -> None:
    text = "@misc{k, title={T}, eprint={2020/1234}, eprinttype={iacr}}"
    (paper,) = papers(read_text(text))
    assert paper.arxiv_id is None


def test_entry_without_key() -> None:
    (record,) = read_text("@misc{title = {No Key}}")
    assert record == BadRecord(1, "entry 1: no citation key before the first field")


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Erd{\H{o}}s", "Erdős"),
        (r"\v{C}ech and \v Sabata", "Čech and Šabata"),
        (r"Fran\c{c}ois", "François"),
        (r"Pe\~na and Pe{\~n}a", "Peña and Peña"),
        (r"G\^ateau \`a la \=a", "Gâteau à la ā"),
        (r"\.Zabi\'nski", "Żabiński"),
        (r"Paj\k{a}k", "Pająk"),
        (r"\r{A}str\"{o}m, \AA{}str\o m", "Åström, Åstrøm"),
        (r"\u{G}\"ursey", "Ğürsey"),
        (r"Stra{\ss}e, {\l}{\'o}d{\'z}", "Straße, łódź"),
        (r"{\ae}sir {\OE}uvre", "æsir Œuvre"),
        (r"Mart{\'\i}nez and Mart\'{\i}nez", "Martínez and Martínez"),
        ("pages 1--10, a---b", "pages 1–10, a—b"),
        (r"R\&D costs 5\% of \$x\_1", "R&D costs 5% of $x_1"),
        ("Fig.~3", "Fig. 3"),
        ("{BERT}: {P}re-training", "BERT: Pre-training"),
        (r"\emph{very} \textbf{bold}", "very bold"),
        (r"$\alpha$-divergence in $\ell_1$", "α-divergence in ℓ_1"),
        (r"{\textless}tag{\textgreater}", "<tag>"),
        (r"\href{https://x.org}{the site}", "the site"),
        (r"\LaTeX\ and \unknown{arg}", "LaTeX and unknownarg"),
    ],
)
def test_latex_to_unicode(latex: str, text: str) -> None:
    assert latex_to_text(latex) == text


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Doe, Jane and Roe, R.", ["Jane Doe", "R. Roe"]),
        ("Jane Doe AND Richard Roe", ["Jane Doe", "Richard Roe"]),
        ("{Barnes and Noble} and Smith, Jr., John", ["Barnes and Noble", "John Smith Jr."]),
        ("van der Berg, Anna and {\\'E}mile Zola and others", ["Anna van der Berg", "Émile Zola"]),
        ("Sand and\n   Stone", ["Sand", "Stone"]),
    ],
)
def test_split_authors(raw: str, names: list[str]) -> None:
    assert bibtex.split_authors(raw) == names


# -- sniffing --------------------------------------------------------------------------------


def test_sniff_accepts_every_bibtex_fixture() -> None:
    for path in sorted(HERE.glob("*.bib")):
        head = path.read_text(encoding="utf-8-sig")[:16384]
        assert bibtex.READER.sniff(head, path.name), path.name
        assert bibtex.READER.sniff(head, "export.txt"), path.name  # content decides


def test_sniff_needs_an_entry() -> None:
    assert not bibtex.READER.sniff("", "refs.bib")
    assert not bibtex.READER.sniff("Contact me@example.org {soon}", "notes.txt")
    assert not bibtex.READER.sniff('[{"note": "@article{x, title={T}}"}]', "refs.json")
    assert bibtex.READER.sniff("% comment\n@String{a = {b}}\n", "refs.bib")


def test_sniff_rejects_other_formats_fixtures() -> None:
    others = [
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.parent.name != "bibtex" and p.suffix != ".bib"
    ]
    for path in others:
        try:
            head = path.read_text(encoding="utf-8-sig")[:16384]
        except (UnicodeDecodeError, OSError):
            continue
        assert not bibtex.READER.sniff(head, path.name), path
