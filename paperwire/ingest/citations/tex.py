"""TeX in citation files: field values, plain text that must survive a round trip, names and keys.

Two kinds of field values:

- **TeX fields** (titles, author names, journals) are TeX source, as arXiv gives them: written with
  ``tex_value`` — whitespace folded, TeX specials outside ``$...$`` escaped, braces that do not pair
  up made harmless (BibTeX counts every brace, escaped or not) — and read back as written. So
  ``tex_value`` is idempotent, and any title already in that form reads back exactly.
- **Plain fields** (a member's note, folder names, DOIs) are text, not TeX: ``encode_plain`` turns
  every character special to TeX into a command and ``decode_plain`` is its exact inverse, so a note
  with ``50% {maybe} C:\\dir`` comes back byte for byte.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from paperwire.models import Citation

_STOP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "towards", "toward", "via", "from", "is"}
_SPECIAL_RE = re.compile(r"(?<!\\)([&%#_])")
_SURNAME_PARTICLES = {"van", "von", "der", "de", "den", "del", "da", "di", "la", "le", "du", "dos", "das"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_PLAIN = {"\\": "\\textbackslash{}", "{": "\\textbraceleft{}", "}": "\\textbraceright{}",
          "^": "\\textasciicircum{}", "~": "\\textasciitilde{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#",
          "_": "\\_"}
_PLAIN_BACK = {v: k for k, v in _PLAIN.items()}
_PLAIN_RE = re.compile("|".join(re.escape(v) for v in sorted(_PLAIN_BACK, key=len, reverse=True)))
_LOOSE_BRACES = {"{": "\\textbraceleft{}", "}": "\\textbraceright{}"}


def ascii_word(text: str) -> str:
    """Lower-case ASCII letters and digits of ``text`` (accents folded): for keys."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def surname(name: str) -> str:
    """The family name of ``'Daniel Palanker'`` or ``'Palanker, Daniel'`` (``'Jr.'`` skipped)."""
    if "," in name:
        return name.split(",", 1)[0].strip()
    parts = [p for p in name.split() if p.lower() not in _SUFFIXES]
    if not parts:
        return name.strip()
    last = [parts[-1]]
    for part in reversed(parts[:-1]):  # keep "van der Berg" together
        if part.lower() not in _SURNAME_PARTICLES:
            break
        last.insert(0, part)
    return " ".join(last)


def balance(text: str) -> str:
    """Make every brace pair up, as BibTeX counts them (``\\{`` is a brace to it too): an unmatched
    ``{`` or ``}`` is dropped, an unmatched ``\\{`` or ``\\}`` becomes ``\\textbraceleft{}`` or
    ``\\textbraceright{}`` (which still prints the brace)."""
    tokens: list[str] = []
    open_at: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        token = text[i : i + 2] if ch == "\\" and text[i + 1 : i + 2] in ("{", "}") else ch
        i += len(token)
        brace = token[-1] if token[-1] in "{}" and token in ("{", "}", "\\{", "\\}") else ""
        if brace == "{":
            open_at.append(len(tokens))
        elif brace == "}":
            if not open_at:
                tokens.append(_LOOSE_BRACES["}"] if token == "\\}" else "")
                continue
            open_at.pop()
        tokens.append(token)
    for pos in open_at:
        tokens[pos] = _LOOSE_BRACES["{"] if tokens[pos] == "\\{" else ""
    return "".join(tokens)


def tex_value(text: str) -> str:
    """A TeX field value: whitespace folded, TeX specials escaped outside ``$...$``, braces balanced."""
    text = " ".join(text.split())
    pieces = re.split(r"(\$[^$]*\$)", text)
    escaped = [p if p.startswith("$") and p.endswith("$") and len(p) > 1 else _SPECIAL_RE.sub(r"\\\1", p)
               for p in pieces]
    return " ".join(balance("".join(escaped)).split())  # a dropped brace may leave a space at an end


def encode_plain(text: str) -> str:
    """Plain text as TeX that prints it, exactly invertible by ``decode_plain``."""
    return "".join(_PLAIN.get(ch, ch) for ch in text)


def decode_plain(text: str) -> str:
    """The inverse of ``encode_plain`` (also reads ``\\&``-style escapes other tools write)."""
    return _PLAIN_RE.sub(lambda m: _PLAIN_BACK[m.group(0)], text)


def base_key(entry: Citation) -> str:
    """``palanker2025simulation``: first author's surname, year, first title word (ASCII); falls back
    to the arXiv id, the DOI or ``entry`` when names or titles are empty."""
    who = ascii_word(surname(entry.authors[0])) if entry.authors else ""
    words = [ascii_word(w) for w in re.split(r"[\s\-:/]+", entry.title)]
    first = next((w for w in words if w and w not in _STOP), "")
    if who and first:
        return f"{who}{entry.year or ''}{first}"
    if entry.arxiv_id:
        return "arxiv" + re.sub(r"[^0-9A-Za-z]", "", entry.arxiv_id)
    if entry.doi:
        return "doi" + re.sub(r"[^0-9A-Za-z]", "", entry.doi).lower()
    return "entry"


def assign_keys(entries: Sequence[Citation]) -> list[str]:
    """Stable, unique keys for ``entries``: each its ``base_key``; entries sharing one get ``a``, ``b``,
    ... in the order of their arXiv ids (then titles), so the same paper keeps its key from one export
    to the next whatever order the library is in."""
    groups: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        groups.setdefault(base_key(entry), []).append(i)
    keys = [""] * len(entries)
    for key, members in groups.items():
        if len(members) == 1:
            keys[members[0]] = key
            continue
        ordered = sorted(members, key=lambda i: (entries[i].arxiv_id or "", entries[i].doi or "", entries[i].title))
        for n, i in enumerate(ordered):
            keys[i] = key + _suffix(n)
    return keys


def _suffix(n: int) -> str:
    """``a``, ``b``, ..., ``z``, ``aa``, ``ab``, ..."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters
