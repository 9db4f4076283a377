"""Safe XML parsing: attacks refused, malformed and truncated documents reported with their position."""

from __future__ import annotations

import pytest

from paperwire.ingest.xml import XmlError, parse_xml, text
from tests.helpers.paths import FIXTURES, FIXTURES_SHARED

TRUNCATED_RSS = FIXTURES_SHARED / "arxiv-rss" / "zotero-arxiv-daily_cs.AI_2025-08-20_truncated_real.xml"


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(XmlError, match=r"unsafe XML .*DTDForbidden"):
        parse_xml((FIXTURES / "billion-laughs.xml").read_bytes(), "OAI-PMH response")


def test_external_entity_is_refused() -> None:
    with pytest.raises(XmlError, match="unsafe XML"):
        parse_xml((FIXTURES / "external-entity.xml").read_bytes())


@pytest.mark.needs_data
def test_truncated_real_feed_reports_where_it_ends() -> None:
    with pytest.raises(XmlError, match=r"not well-formed XML \(line 1233, column 84\)"):
        parse_xml(TRUNCATED_RSS.read_bytes(), "feed")


@pytest.mark.parametrize("data", [b"", b"   \n", b"<a><b></a>", b"not xml at all"])
def test_empty_and_malformed(data: bytes) -> None:
    with pytest.raises(XmlError):
        parse_xml(data)


def test_text_helper() -> None:
    root = parse_xml(b"<r><a> x <b>y</b> </a><c/></r>")
    assert text(root, "a") == "x y" and text(root, "c") is None and text(root, "missing") is None
