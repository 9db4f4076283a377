"""Paper text for email: TeX math as plain Unicode text, whitespace tidied, excerpts.

Mail clients run no scripts, so the site's rendered math cannot be used;
``$\\alpha$-divergence`` becomes ``α-divergence`` and ``$O(n^2)$`` becomes
``O(n²)``. Anything not understood stays as written, minus the dollars:
readable, never wrong.
"""

from __future__ import annotations

import re

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "infty": "∞", "times": "×", "cdot": "·",
    "pm": "±", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "~",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "in": "∈", "notin": "∉", "subset": "⊂",
    "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "partial": "∂", "nabla": "∇",
    "sum": "Σ", "prod": "Π", "int": "∫", "sqrt": "√", "ell": "ℓ", "log": "log", "exp": "exp", "ldots": "…",
    "cdots": "⋯", "dots": "…", "mid": "|", "propto": "∝", "circ": "∘", "star": "⋆", "%": "%", "&": "&",
    "_": "_", "#": "#", "$": "$", "{": "{", "}": "}", ",": " ", ";": " ", "!": "", "quad": " ", "qquad": " ",
}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
_SUPER = str.maketrans("0123456789+-=()nix", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣ")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SUPER_OK = set("0123456789+-=()nix")
_SUB_OK = set("0123456789+-=()")

_MATH_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)", re.DOTALL)
_FONT_RE = re.compile(r"\\(?:mathrm|mathbf|mathit|mathsf|mathtt|text|textbf|textit|textrm|emph|operatorname|mathcal"
                      r"|boldsymbol|bm|mathscr|mathfrak|hat|bar|tilde|vec|widehat|widetilde|overline)\s*\{([^{}]*)\}")
_BB_RE = re.compile(r"\\mathbb\s*\{\s*([A-Za-z])\s*\}")
_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SCRIPT_RE = re.compile(r"([\^_])(?:\{([^{}]*)\}|([A-Za-z0-9+\-]))")
_COMMAND_RE = re.compile(r"\\([A-Za-z]+|[%&_#${},;!])")
_SPACE_RE = re.compile(r"\s+")


def _frac(match: re.Match[str]) -> str:
    parts = [p.strip() for p in match.groups()]
    return "/".join(p if p.isalnum() else f"({p})" for p in parts)


def _script(match: re.Match[str]) -> str:
    mark, body = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
    allowed, table = (_SUPER_OK, _SUPER) if mark == "^" else (_SUB_OK, _SUB)
    if body and set(body) <= allowed:
        return body.translate(table)
    return f"{mark}({body})" if len(body) > 1 else f"{mark}{body}"


def math_text(tex: str) -> str:
    """One TeX math expression as plain text."""
    text = _BB_RE.sub(lambda m: _BLACKBOARD.get(m.group(1), m.group(1)), tex)
    for _ in range(3):  # nested fonts and fractions, innermost first
        text = _FONT_RE.sub(r"\1", text)
        text = _FRAC_RE.sub(_frac, text)
    text = _COMMAND_RE.sub(lambda m: _SYMBOLS.get(m.group(1), m.group(1)), text)
    text = _SCRIPT_RE.sub(_script, text)
    text = text.replace("{", "").replace("}", "")
    return _SPACE_RE.sub(" ", text).strip()


def plain(text: str) -> str:
    """Paper text (title, abstract) for email: math as Unicode text, whitespace collapsed."""
    text = _MATH_RE.sub(lambda m: math_text(next(g for g in m.groups() if g is not None)), text)
    return _SPACE_RE.sub(" ", text).strip()


def excerpt(text: str, limit: int = 300) -> str:
    """The start of ``text``, cut at a word boundary with an ellipsis when longer than ``limit``."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def authors_line(authors: list[str], shown: int = 4) -> str:
    """``A, B, C and D`` or ``A, B, C, D et al.``"""
    if not authors:
        return ""
    if len(authors) <= shown:
        return authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1]
    return ", ".join(authors[:shown]) + " et al."
