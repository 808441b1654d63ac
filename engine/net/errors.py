"""The one error type of the wire protocol."""


class ProtocolError(Exception):
    """Bytes from a peer that break the protocol: truncated, oversized, unknown, out of range.

    Every decoder raises this and only this for bad input, so a server can drop
    the peer with the message as the logged reason and carry on.
    """
