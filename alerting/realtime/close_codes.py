"""The close codes of the responder socket: what a client reads to decide whether and how to reconnect."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CloseCode"]


class CloseCode(IntEnum):
    MESSAGE_TOO_BIG = 1009  # RFC 6455
    TRY_AGAIN = 1013  # RFC 6455 "try again later": the database or Redis did not answer
    TOO_SLOW = 4008  # the client is not reading its frames: reconnect
    RECONNECT = 4012  # the server is going away: reconnect, to this or another node
    UNAUTHORIZED = 4401  # no token, or not a valid one
    WITHDRAWN = 4410  # the responder was suspended or erased: the token no longer works
    FORBIDDEN = 4403  # a credential that is not a responder token
    TOO_MANY_SOCKETS = 4429  # this responder has too many sockets open
