"""Parsing untrusted XML: defusedxml refuses DTDs, entity expansion and external references."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from dispatch_adapter.mappings.errors import MappingError


def parse_xml(text: bytes | str, field: str) -> Element:
    """The document's root element; any refusal names `field`, where the XML came from."""
    if isinstance(text, str):
        text = text.strip().encode("utf-8")  # an encoding declaration must not follow leading blanks
    else:
        text = text.strip()
    try:
        return fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise MappingError(field, f"refused: {type(exc).__name__} (DTDs and entities are not accepted)") from exc
    except ParseError as exc:
        raise MappingError(field, f"not well-formed XML: {exc}") from exc


def text_of(element: Element | None) -> str | None:
    """Stripped text, or None when the element is absent or blank."""
    if element is None or element.text is None:
        return None
    return element.text.strip() or None
