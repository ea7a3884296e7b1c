"""Paper ids as users type them: every spelling of an arXiv id, DOIs, scheme prefixes."""

from __future__ import annotations

import pytest

from paperradar.identifiers import normalise_alias, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "alias"),
    [
        ("2103.00020", "arxiv:2103.00020"),
        ("2103.00020v3", "arxiv:2103.00020"),
        ("arXiv:2103.00020", "arxiv:2103.00020"),
        ("https://arxiv.org/abs/2103.00020v2", "arxiv:2103.00020"),
        ("hep-th/9901001v1", "arxiv:hep-th/9901001"),
        # arXiv's own DOIs name the arXiv paper, not a separate DOI record
        ("10.48550/arXiv.2103.00020", "arxiv:2103.00020"),
        ("https://doi.org/10.48550/arXiv.2103.00020", "arxiv:2103.00020"),
        ("doi:10.48550/ARXIV.2103.00020", "arxiv:2103.00020"),
        ("10.1162/tacl_a_00745", "doi:10.1162/tacl_a_00745"),
        ("doi:10.1162/TACL_A_00745", "doi:10.1162/tacl_a_00745"),
        (
            "s2:649def34f8be52c8b66281af98ae884c09aef38b",
            "s2:649def34f8be52c8b66281af98ae884c09aef38b",
        ),
        ("not an id", None),
    ],
)
def test_normalise_alias(text: str, alias: str | None) -> None:
    assert normalise_alias(text) == alias


def test_an_arxiv_doi_keeps_no_version() -> None:
    assert parse_arxiv_id("10.48550/arXiv.2103.00020") == ("2103.00020", None)
