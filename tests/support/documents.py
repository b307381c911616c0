"""Small real documents for credential uploads, and one that only pretends to be a PDF."""

from __future__ import annotations

import struct
import zlib

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


# A 1x1 white PNG, built chunk by chunk.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
    + _chunk(b"IEND", b"")
)

# What a careless or hostile upload looks like: a web page named and declared as a PDF.
FAKE_PDF = b"<!DOCTYPE html><html><body><script>alert('x')</script>CPR certificate</body></html>\n"


def form(
    kind: str, expires_on: str, content: bytes, *, name: str = "certificate.pdf", declared: str = "application/pdf"
):
    """httpx `data` and `files` for one credential upload."""
    return {"data": {"kind": kind, "expires_on": expires_on}, "files": {"file": (name, content, declared)}}
