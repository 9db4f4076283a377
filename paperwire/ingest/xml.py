"""Safe XML parsing for everything fetched from the network.

defusedxml over the standard library's expat: document type declarations
are refused outright (no source we read uses one), so entity expansion
("billion laughs"), external entities and network access never happen.
Malformed or truncated documents raise ``XmlError`` with the position.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class XmlError(ValueError):
    """A document that is not safe, well-formed XML; the message says why and where."""


def parse_xml(data: bytes, what: str = "document") -> Element:
    """The root element of ``data``, or ``XmlError``."""
    if not data.strip():
        raise XmlError(f"{what} is empty")
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        return root
    except DefusedXmlException as exc:
        raise XmlError(f"{what} refused: unsafe XML ({type(exc).__name__}: {exc})") from None
    except ParseError as exc:
        line, column = exc.position
        raise XmlError(f"{what} is not well-formed XML (line {line}, column {column}): {exc}") from None
    except (LookupError, ValueError) as exc:  # an XML declaration naming an unknown or unsupported encoding
        raise XmlError(f"{what} cannot be read: {exc}") from None


def text(element: Element | None, path: str | None = None, ns: dict[str, str] | None = None) -> str | None:
    """The stripped text of ``element`` (or of its child at ``path``), None when missing or empty."""
    if element is not None and path is not None:
        element = element.find(path, ns or {})
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return value or None
