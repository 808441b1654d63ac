"""What replicates: the shooter's components with their codecs, and the battlefield as
clients need it. The registration order sets the components' wire ids."""

from __future__ import annotations

from dataclasses import dataclass

from engine.components import Transform, Velocity
from engine.net.codec import Bool, Enum8, Quantized, Str, SVarint, UVarint
from engine.net.messages import MAX_NAME_BYTES
from engine.net.schema import NetSchema
from game.net.protocol import POSITION, register_shooter_messages
from game.rules.components import (
    Aircraft,
    Health,
    Held,
    Pickup,
    Player,
    Projectile,
    Score,
    Side,
    Weapon,
)


@dataclass(slots=True)
class BattlefieldState:
    """The battlefield as clients need it, on one replicated entity."""

    view_top: float = 0.0
    running: bool = True  # scrolling and spawning (false while ended or waiting for players)
    mission: int = 0  # missions begun so far (0 while the first waits for players)
    seats: int = 0  # the server's aircraft seats: player ids 1..seats
    mission_name: str = ""  # the campaign's mission being played (its look, its title)


def shooter_schema() -> NetSchema:
    """The shooter's messages and every replicated component with its codecs (the order of
    registration sets the components' wire ids; messages have explicit type bytes)."""
    schema = NetSchema()
    register_shooter_messages(schema.messages)
    registry = schema.components
    registry.register(
        Transform,
        {"x": POSITION, "y": POSITION, "angle": Quantized(2, -720, 720, period=360)},
        interpolate=True,
    )
    registry.register(Velocity, {"x": POSITION, "y": POSITION}, initial_only=True)
    registry.register(Aircraft, {"kind": Str(16), "side": Enum8(Side)})
    registry.register(
        Health, {"hitpoints": SVarint(-100_000, 100_000), "max_hitpoints": UVarint(100_000)}
    )
    registry.register(
        Player,
        {
            "player_id": UVarint(255),
            "owner": UVarint(2**32 - 1),  # a client id (u32 in Welcome)
            "local_index": UVarint(1),
            "name": Str(MAX_NAME_BYTES),
        },
    )
    registry.register(
        Weapon,
        {"missiles": UVarint(255), "spread_level": UVarint(8), "fire_rate_level": UVarint(64)},
    )
    registry.register(Projectile, {"kind": Str(16), "side": Enum8(Side)})
    registry.register(Pickup, {"kind": Str(16)})
    registry.register(
        BattlefieldState,
        {
            "view_top": Quantized(8, 0, 1_000_000),
            "running": Bool(),
            "mission": UVarint(),
            "seats": UVarint(255),
            "mission_name": Str(24),
        },
    )
    # An aircraft whose pilot is away (its connection lost, maybe coming back): drawn dimmed.
    registry.register(Held, {"since": Quantized(1, 0, 2**32)})
    # Each player's score this mission, on an entity of its own (game.rules.systems.stats).
    registry.register(
        Score,
        {
            "player_id": UVarint(255),
            "name": Str(MAX_NAME_BYTES),
            "points": UVarint(),
            "kills": UVarint(),
            "shots": UVarint(),
            "hits": UVarint(),
            "damage_taken": UVarint(),
        },
    )
    return schema
