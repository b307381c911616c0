"""The links an invite is sent as, for every page that redeems one (responder, alerter)."""

from __future__ import annotations

import segno


def invite_url(base_url: str, page: str, code: str) -> str:
    """The code rides in the fragment: browsers never send it to the server, so it stays out of
    access logs and Referer headers; the page at `page` reads it and redeems it."""
    return f"{base_url.rstrip('/')}{page}#invite={code}"


def qr_svg_uri(url: str) -> str:
    """The link as a QR code, an SVG `data:` URI an <img> shows as it is."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)
