"""Comments' Markdown with math, rendered to HTML that is safe to put in a page.

- Markdown is CommonMark (markdown-it-py) with tables, strikethrough and bare-URL links (GFM autolinks);
  raw HTML is never passed through: ``<script>`` is text. Headings are not Markdown here (a comment's
  ``# 1`` stays text), so a comment never adds to the page's outline.
- Math is ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]``. Markdown leaves a formula alone (``a_1 * b_2``
  keeps its underscores and stars) and it is written out, HTML-escaped, with its own delimiters for the
  page's KaTeX auto-render: a formula is text to the browser, so ``$<script>$`` shows as written. An
  unbalanced delimiter is plain text.
- Images are never shown: ``![alt](url)`` becomes a link to the image (no request to another host when
  the page loads, no tracking pixels).
- The HTML is then cleaned by nh3 (the ammonia sanitiser) against a short list of tags and attributes:
  links keep only ``http``, ``https`` and ``mailto`` targets and get ``rel="nofollow ugc noopener"``; no
  attribute can run code (``onerror``, ``style``, ``javascript:`` are dropped).

Rendering is pure and cached by source text, so comments are stored as written and rendered on read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
        "table", "thead", "tbody", "tr", "th", "td", "span", "div"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
LINK_REL = "nofollow ugc noopener"
URL_SCHEMES = {"http", "https", "mailto"}
_BRACKETS = (("\\(", "\\)"), ("\\[", "\\]"))


def _dollar_math(content: str, options: dict[str, Any]) -> str:
    mark = "$$" if options.get("display_mode") else "$"
    return f"{mark}{escapeHtml(content)}{mark}"


def _bracket_math(state: StateInline, silent: bool) -> bool:
    """``\\(…\\)`` and ``\\[…\\]``, before CommonMark reads ``\\(`` as an escaped parenthesis."""
    for left, right in _BRACKETS:
        if state.src.startswith(left, state.pos):
            end = state.src.find(right, state.pos + 2)
            if end < 0 or not state.src[state.pos + 2:end].strip():
                return False
            if not silent:
                token = state.push("math_bracket", "math", 0)
                token.content = state.src[state.pos + 2:end]
                token.markup = left
            state.pos = end + 2
            return True
    return False


def _render_bracket(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                    env: EnvType) -> str:
    token = tokens[idx]
    right = "\\)" if token.markup == "\\(" else "\\]"
    return f"{token.markup}{escapeHtml(token.content)}{right}"


def _render_inline_double(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                          env: EnvType) -> str:
    return f"<span>$${escapeHtml(tokens[idx].content)}$$</span>"


def _image_as_link(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                   env: EnvType) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt)}</a>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable(["heading", "lheading"])
    md.use(dollarmath_plugin, allow_labels=False, allow_space=True, allow_digits=False, double_inline=True,
           renderer=_dollar_math)
    md.use(gfm_autolink_plugin)
    md.inline.ruler.before("escape", "math_bracket", _bracket_math)
    md.add_render_rule("math_bracket", _render_bracket)
    md.add_render_rule("math_inline_double", _render_inline_double)  # a <div> inside a <p> is not HTML
    md.add_render_rule("image", _image_as_link)
    return md


_MD = _parser()


def sanitize(html: str) -> str:
    """Keep only the tags and attributes comments may have (the second line of defence)."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=LINK_REL,
                     strip_comments=True)


@lru_cache(maxsize=4096)
def render_comment(source: str) -> str:
    """A comment's Markdown source as safe HTML (math left, escaped, for KaTeX)."""
    return sanitize(_MD.render(source))
