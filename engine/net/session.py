"""One end of a conversation in messages, sans-I/O: messages in, datagram payloads out.

A Session sits between the game's messages and a secure connection (netcode):
it encodes each message with its game's MessageRegistry (decoding only what its
side may receive, encoding only what it may send), puts it on the channel its
registration names (reliable-ordered unless registered `reliable=False`), and
turns what arrives back into messages. Reliable messages keep their order; an
unreliable one may overtake them (or be lost). It checks the order the handshake
must follow (the peer's first reliable message; unreliable ones before it are
dropped, as nothing can use them yet) and knows which unreliable messages reached
the peer (`take_acked`), which is how the server learns what snapshot each
client holds. It knows no socket and no encryption: those are below it.

Every error in the peer's bytes is a ProtocolError; after one the session is
unusable and the peer should be dropped.
"""

from __future__ import annotations

from engine.net.errors import ProtocolError
from engine.net.messages import (
    Disconnect,
    Hello,
    Message,
    MessageRegistry,
    MessageTable,
    Reject,
    Welcome,
)
from engine.net.reliable import Channel, ChannelConfig, ChannelConnection, SendQueueFull


class Session:
    """Messages over the reliable-ordered and unreliable channels of one connection."""

    def __init__(
        self,
        receives: MessageTable,
        sends: MessageTable,
        *,
        now: float,
        first: tuple[type[Message], ...] = (),
        config: ChannelConfig | None = None,
        report_acks: bool = True,
    ) -> None:
        self.receives = receives
        self.sends = sends
        self.channels = ChannelConnection(config, now, report_acks=report_acks)
        self._first = first  # what the peer's first message must be (the handshake)
        self.failed: str | None = None
        self.last_heard = now
        self.bytes_in = 0
        self.bytes_out = 0
        self.messages_in = 0
        self.messages_out = 0

    # -- inbound ---------------------------------------------------------------------------

    def receive(self, payload: bytes, now: float) -> list[Message]:
        """The messages one datagram payload completes, in order (possibly none)."""
        if self.failed:
            raise ProtocolError(self.failed)
        self.bytes_in += len(payload)
        self.last_heard = now
        messages: list[Message] = []
        try:
            for channel, data in self.channels.receive(payload, now):
                message = self.receives.decode(data)
                if self._first:
                    if channel == Channel.UNRELIABLE:
                        continue  # overtook the handshake (or it was lost): too early to use
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

    # -- outbound --------------------------------------------------------------------------

    def send(self, message: Message) -> int:
        """Queue `message` on its channel; its handle (see `take_acked`)."""
        spec = self.sends.by_type.get(type(message))
        reliable = spec.reliable if spec is not None else True
        return self.send_encoded(self.sends.encode(message), reliable=reliable)

    def send_encoded(self, payload: bytes, *, reliable: bool = True) -> int:
        """Queue an already encoded message (a snapshot encoded once for many peers).

        SendQueueFull when the peer has left too much unacknowledged: it is not keeping up.
        """
        channel = Channel.RELIABLE_ORDERED if reliable else Channel.UNRELIABLE
        self.messages_out += 1
        return self.channels.send(channel, payload)

    def payloads(self, now: float, budget_bytes: int | None = None) -> list[bytes]:
        """What to hand the connection now: packets of queued messages, resends and acks."""
        out = self.channels.write_packets(now, budget_bytes)
        self.bytes_out += sum(map(len, out))
        return out

    def take_acked(self) -> list[int]:
        """Handles of unreliable messages the peer newly acknowledged, each once."""
        return self.channels.take_acked()

    @property
    def rtt(self) -> float:
        return self.channels.rtt

    @property
    def packet_loss(self) -> float:
        return self.channels.packet_loss


def server_session(messages: MessageRegistry, now: float, **options: object) -> Session:
    """A server's end: it reads what travels to the server, writes what travels to clients;
    the client must open with Hello."""
    return Session(messages.to_server, messages.to_client, now=now, first=(Hello,), **options)  # type: ignore[arg-type]


def client_session(messages: MessageRegistry, now: float, **options: object) -> Session:
    """A client's end: the server answers with Welcome or Reject (or Disconnect, when it
    could not even read the Hello). A client never asks which of its messages arrived, so
    its session keeps no acknowledged handles (unless `report_acks=True`)."""
    options.setdefault("report_acks", False)
    return Session(
        messages.to_client,
        messages.to_server,
        now=now,
        first=(Welcome, Reject, Disconnect),
        **options,  # type: ignore[arg-type]
    )


__all__ = ["SendQueueFull", "Session", "client_session", "server_session"]
