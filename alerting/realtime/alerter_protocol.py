"""Client-to-server messages of the alerter's socket, parsed strictly like the responder's."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter, field_validator

from alerting.realtime.protocol import Auth, Ping, _Msg, parse_with, words

__all__ = ["AlerterMessage", "Auth", "Ping", "parse"]


class AlerterMessage(_Msg):
    """The alerter's words to the responders coming and to the control room."""

    type: Literal["message"]
    text: str = Field(min_length=1, max_length=1000)

    @field_validator("text")
    @classmethod
    def _words(cls, value: str) -> str:
        return words(value)


AlerterClientMessage = Annotated[Auth | AlerterMessage | Ping, Field(discriminator="type")]
_adapter: TypeAdapter[AlerterClientMessage] = TypeAdapter(AlerterClientMessage)


def parse(text: str | bytes) -> Auth | AlerterMessage | Ping:
    """Never raises anything but ProtocolError, whatever the bytes."""
    return parse_with(_adapter, text)
