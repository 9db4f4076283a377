"""Highlights and snippets never cut math or mark inside it (KaTeX renders half a formula as garbage)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from paperwire.search.analysis import analyze
from paperwire.search.highlight import highlight, math_spans, snippet

FILLER = "plain words around the result " * 12


def _balanced(html: str) -> bool:
    body = html.replace("… ", "").replace(" …", "").replace("\\$", "")
    body = re.sub(r"\$\$.+?\$\$", "", body, flags=re.S)
    parens = body.count("\\(") == body.count("\\)") and body.count("\\[") == body.count("\\]")
    return body.count("$") % 2 == 0 and parens


def test_the_reported_snippet_keeps_its_formula_whole() -> None:
    # the review saw "… b)andtwo−dimensionalplates(L, W \gg b$)": a snippet that started inside $…$
    text = FILLER + "thin rods $(L \\gg W, b)$ and two-dimensional plates $(L, W \\gg b)$ of " + FILLER
    for size in range(60, 260, 7):
        out = snippet(text, {"plate"}, analyze, size)
        assert _balanced(out), (size, out)


def test_no_mark_inside_a_formula() -> None:
    out = highlight("the $\\alpha$-divergence and alpha itself, \\(\\alpha^2\\)", {"alpha"}, analyze)
    assert out.count("<mark>") == 1 and "$\\alpha$" in out and "\\(\\alpha^2\\)" in out


def test_a_formula_too_long_to_fit_is_left_out() -> None:
    formula = "$" + " + ".join(f"x_{i}" for i in range(200)) + "$"
    text = FILLER + "plates " + formula + " " + FILLER
    out = snippet(text, {"plate"}, analyze, 120)
    assert _balanced(out) and "x_1" not in out and "<mark>plates</mark>" in out


def test_math_spans_know_display_inline_and_escaped_dollars() -> None:
    text = "cost \\$5, $$E=mc^2$$ and $x$ and \\(y\\) and \\[z\\] and a stray $ sign"
    assert [text[s:e] for s, e in math_spans(text)] == ["$$E=mc^2$$", "$x$", "\\(y\\)", "\\[z\\]"]


ATOMS = st.sampled_from(["plates", "word", "rod", "$x$", "$(L, W \\gg b)$", "$$a+b$$", "\\(q\\)", "\\$3", "-", "."])


@given(st.lists(ATOMS, min_size=1, max_size=120), st.integers(20, 200))
def test_snippets_of_any_text_never_cut_a_formula(atoms: list[str], size: int) -> None:
    text = " ".join(atoms)
    assert _balanced(snippet(text, {"plate"}, analyze, size))
