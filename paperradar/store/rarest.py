"""Which query terms to keep within a budget of matching papers: the rarest first, the same
on every backend (``KeywordIndex.rarest``)."""

from __future__ import annotations

from collections.abc import Sequence


def rarest_within(terms: Sequence[str], counts: Sequence[int], budget: int) -> list[str]:
    """The terms by how many papers hold each (``counts``, in the same order), fewest first
    (ties in the given order), as long as their counts add up to at most ``budget``; the
    rarest term is kept whatever its count."""
    ranked = sorted(
        (count, i, term) for i, (count, term) in enumerate(zip(counts, terms, strict=True))
    )
    out: list[str] = []
    total = 0
    for count, _, term in ranked:
        if out and total + count > budget:
            break
        out.append(term)
        total += count
    return out
