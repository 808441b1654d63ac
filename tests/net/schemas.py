"""The schemas the tests check every message of: the engine's, the shooter's, the tile arena's."""

from __future__ import annotations

from engine import Role, World
from engine.net.messages import MessageRegistry, MessageSpec
from engine.net.schema import NetSchema
from examples.mods.tiles import TilesPlugin
from game.net.schema import shooter_schema


def tiles_schema() -> NetSchema:
    """The schema a tile arena game has once its mod is built (a bare one plus the mod's)."""
    schema = NetSchema()
    world = World(Role.SERVER)
    try:
        world.insert_resource(schema.components)
        world.insert_resource(schema.messages)
        TilesPlugin().build(world)
    finally:
        world.close()
    return schema


def every_message() -> list[tuple[MessageRegistry, MessageSpec]]:
    """(registry, spec) for every message type of the engine, the shooter and the tiles mod."""
    found: dict[type, tuple[MessageRegistry, MessageSpec]] = {}
    for schema in (NetSchema(), shooter_schema(), tiles_schema()):
        for spec in schema.messages:
            found.setdefault(spec.message_type, (schema.messages, spec))
    return list(found.values())
