"""The server's bounded handshake memory: encryption mappings for addresses mid-handshake, and
the history of connect tokens already used. Both are capped, so a flood of (valid) requests
costs a fixed amount of memory: the oldest entries make way for new ones."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from engine.net.netcode.addresses import Address


@dataclass(slots=True)
class EncryptionMapping:
    """Keys for one address that sent a valid request but has not finished the handshake."""

    send_key: bytes
    receive_key: bytes
    timeout: int
    last_access: float
    deadline: float | None

    def expired(self, now: float) -> bool:
        """Idle for `timeout` seconds, or `timeout` seconds since the first request; a timeout
        <= 0 disables both (then only eviction removes it)."""
        if self.timeout <= 0:
            return False
        idle = self.last_access + self.timeout < now
        return idle or (self.deadline is not None and self.deadline < now)


class EncryptionMappings:
    """At most `capacity` pending mappings, keyed by address; expired ones are dropped first,
    then the oldest."""

    __slots__ = ("capacity", "_entries")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("encryption mapping capacity must be at least 1")
        self.capacity = capacity
        self._entries: OrderedDict[Address, EncryptionMapping] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self, address: Address, *, send_key: bytes, receive_key: bytes, timeout: int, now: float
    ) -> EncryptionMapping:
        """Map `address` to these keys. A live mapping keeps its deadline (a client re-sending
        its request does not extend its time to finish); an expired one starts over."""
        current = self._entries.get(address)
        if current is not None and not current.expired(now):
            current.send_key, current.receive_key = send_key, receive_key
            current.timeout, current.last_access = timeout, now
            return current
        self._entries.pop(address, None)
        if len(self._entries) >= self.capacity:
            self.purge(now)
        while len(self._entries) >= self.capacity:
            self._entries.popitem(last=False)
        mapping = EncryptionMapping(send_key, receive_key, timeout, now, now + timeout)
        self._entries[address] = mapping
        return mapping

    def find(self, address: Address, now: float) -> EncryptionMapping | None:
        """The live mapping for `address` (does not count as access: the packet may be forged)."""
        mapping = self._entries.get(address)
        if mapping is None:
            return None
        if mapping.expired(now):
            del self._entries[address]
            return None
        return mapping

    def remove(self, address: Address) -> None:
        self._entries.pop(address, None)

    def purge(self, now: float) -> None:
        for address in [a for a, m in self._entries.items() if m.expired(now)]:
            del self._entries[address]

    def clear(self) -> None:
        self._entries.clear()


class TokenHistory:
    """MACs of connect tokens seen, with the address that first used each: one token may be
    used from one address only. At most `capacity` entries, oldest forgotten first."""

    __slots__ = ("capacity", "_entries")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("token history capacity must be at least 1")
        self.capacity = capacity
        self._entries: OrderedDict[bytes, Address] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def use(self, mac: bytes, address: Address) -> bool:
        """False if `mac` was already used from another address; otherwise remember it."""
        first = self._entries.get(mac)
        if first is not None:
            return first == address
        if len(self._entries) >= self.capacity:
            self._entries.popitem(last=False)
        self._entries[mac] = address
        return True

    def clear(self) -> None:
        self._entries.clear()
