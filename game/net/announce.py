"""A line of text to every player, from any server-side rule (a mod's included)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from engine.net.messages import BroadcastMessage
from engine.net.sync import ServerNet
from engine.world import World

log = logging.getLogger(__name__)

MAX_ANNOUNCEMENT_BYTES = 255  # BroadcastMessage.text travels as Str(255)


@dataclass(frozen=True, slots=True)
class Announced:
    """`announce` sent `text` (an event, so tests and worlds without a network see it)."""

    text: str


def announce(world: World, text: str) -> None:
    """Every player's HUD shows `text` for 2.5 s (after the lines before it). On a world
    without a network (the sim, a test) it is only logged and emitted as `Announced`.
    A text longer than 255 bytes of UTF-8 is cut to fit."""
    text = text.encode()[:MAX_ANNOUNCEMENT_BYTES].decode(errors="ignore")
    world.events.emit(Announced(text))
    net = world.try_resource(ServerNet)
    if net is None:
        log.info("announced: %s", text)
        return
    net.server.broadcast(BroadcastMessage(text))
