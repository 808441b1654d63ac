"""One end of a conversation, sans-I/O: bytes in, messages out; messages in, bytes out.

A Connection knows framing, fragmentation, the message codecs (the two
directions' tables of its game's MessageRegistry: it decodes only what its side
may receive and encodes only what it may send) and the order the handshake
must follow. It knows no socket: a transport feeds it what it
received and sends what it produced, so TCP, the in-memory loopback and the
tests run exactly this code. Every error in the peer's bytes is a
ProtocolError; after one, the connection is unusable and should be closed.
"""

from __future__ import annotations

from engine.net.errors import ProtocolError
from engine.net.framing import MAX_FRAME, FrameDecoder, Reassembler, encode_frame, split_message
from engine.net.messages import (
    Disconnect,
    Hello,
    Message,
    MessageRegistry,
    MessageTable,
    Reject,
    Welcome,
)

DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024


class Connection:
    """Frames and decodes one direction, encodes and frames the other."""

    def __init__(
        self,
        receives: MessageTable,
        sends: MessageTable,
        *,
        now: float,
        first: tuple[type[Message], ...] = (),
        max_frame: int = MAX_FRAME,
        max_message: int = DEFAULT_MAX_MESSAGE,
    ) -> None:
        self.receives = receives
        self.sends = sends
        self.max_frame = max_frame
        self._decoder = FrameDecoder(max_frame)
        self._reassembler = Reassembler(max_message)
        self._first = first  # what the peer's first message must be (the handshake)
        self._outbox = bytearray()
        self._next_message_id = 0
        self.failed: str | None = None
        self.last_heard = now
        self.bytes_in = 0
        self.bytes_out = 0
        self.messages_in = 0
        self.messages_out = 0

    # -- inbound ---------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[Message]:
        """Every whole message in `data` (plus what was buffered), in order."""
        if self.failed:
            raise ProtocolError(self.failed)
        if not data:
            return []
        self.bytes_in += len(data)
        self.last_heard = now
        messages: list[Message] = []
        try:
            for payload in self._decoder.feed(data):
                whole = self._reassembler.accept(payload)
                if whole is None:
                    continue
                message = self.receives.decode(whole)
                if self._first:
                    if not isinstance(message, self._first):
                        names = " or ".join(t.__name__ for t in self._first)
                        raise ProtocolError(f"expected {names}, got {type(message).__name__}")
                    self._first = ()
                messages.append(message)
        except ProtocolError as error:
            self.failed = str(error)
            raise
        self.messages_in += len(messages)
        return messages

    def silent_for(self, now: float) -> float:
        return now - self.last_heard

    # -- outbound --------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        self.send_encoded(self.sends.encode(message))

    def send_encoded(self, payload: bytes) -> None:
        """Queue an already encoded message (a snapshot encoded once for every peer)."""
        parts = split_message(payload, self.max_frame, message_id=self._next_message_id)
        if len(parts) > 1:
            self._next_message_id = (self._next_message_id + 1) & 0xFFFF
        for part in parts:
            self._outbox += encode_frame(part, self.max_frame)
        self.messages_out += 1

    def data_to_send(self) -> bytes:
        """Take everything queued for the wire."""
        if not self._outbox:
            return b""
        data = bytes(self._outbox)
        self._outbox.clear()
        self.bytes_out += len(data)
        return data


def server_connection(messages: MessageRegistry, now: float, **limits: int) -> Connection:
    """A server's end: it reads what travels to the server, writes what travels to clients;
    the client must open with Hello."""
    return Connection(messages.to_server, messages.to_client, now=now, first=(Hello,), **limits)


def client_connection(messages: MessageRegistry, now: float, **limits: int) -> Connection:
    """A client's end: the server answers with Welcome or Reject (or Disconnect, when it
    could not even read the Hello)."""
    return Connection(
        messages.to_client,
        messages.to_server,
        now=now,
        first=(Welcome, Reject, Disconnect),
        **limits,
    )
