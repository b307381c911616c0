"""What an uploaded credential file really is, from its bytes: the name and declared type are the
sender's claim and are never trusted."""

from __future__ import annotations

import puremagic

# media type -> the word a person reads in an error
ACCEPTED = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def sniff(data: bytes) -> str | None:
    """The accepted media type the content is, or None when it is none of them.

    Only the most confident matches count, so a file whose signature is something else is refused
    even when a weaker rule would also call it an image."""
    if not data:
        return None
    try:
        matches = puremagic.magic_string(data)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    best = max(m.confidence for m in matches)
    found = {m.mime_type for m in matches if m.confidence == best} & ACCEPTED.keys()
    return found.pop() if len(found) == 1 else None
