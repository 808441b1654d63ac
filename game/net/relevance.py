"""What a player's snapshots favour when its byte budget binds (engine/net/views.py): the
shooter's priorities.

Everyone in the shooter shares one scrolling view, so every entity is relevant to every
player (no interest limit). When a snapshot cannot carry every change, it carries the
ones that matter most to this player first, and the rest wait, gaining priority each tick
they wait:

- the battlefield (view, mission, seats) and the player's own aircraft: its owner
  predicts the aircraft, but its hit points, weapon and Held state come from the server;
- other aircraft, near the player's own before far ones (a spectator, who has none,
  measures from the middle of the view);
- missiles and pickups, by the same distance;
- bullets last: they are spawn-only, so a late spawn costs a few frames of a bullet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.components import Transform
from engine.net.server import Peer
from engine.net.views import ReplicationHooks
from engine.world import World
from game.net.schema import BattlefieldState
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Pickup, Projectile

TOP = 8.0  # the battlefield and a player's own aircraft
AIRCRAFT = 4.0
THINGS = 2.0  # missiles and pickups
BULLET = 1.0
NEAR = 300.0  # px: an entity this far away counts about two thirds of one at hand


def shooter_priority(world: World, peer: Peer, entities: Sequence[int]) -> list[float]:
    """How urgently each of `entities` waits to reach `peer`: by kind, times a factor from
    2 (at hand) down to 1 (far away) by its distance to the peer's nearest aircraft."""
    roster = world.try_resource(Roster)
    own = {seat.entity for seat in roster.of_peer(peer)} if roster is not None else set()
    centres = []
    for entity in own:
        transform = world.try_component(entity, Transform)
        if transform is not None:
            centres.append((transform.x, transform.y))
    if not centres:
        battlefield = world.try_resource(Battlefield)
        if battlefield is not None:
            spec = battlefield.spec
            centres.append((spec.view_width / 2, battlefield.view_top + spec.view_height / 2))
    found = []
    for entity in entities:
        if entity in own or world.has_component(entity, BattlefieldState):
            found.append(TOP)
            continue
        if world.has_component(entity, Aircraft):
            kind = AIRCRAFT
        elif world.has_component(entity, Pickup):
            kind = THINGS
        else:
            projectile = world.try_component(entity, Projectile)
            kind = BULLET if projectile is not None and projectile.kind != "missile" else THINGS
        transform = world.try_component(entity, Transform)
        if transform is None or not centres:
            found.append(kind)
            continue
        distance = min(math.hypot(transform.x - x, transform.y - y) for x, y in centres)
        found.append(kind * (1.0 + NEAR / (NEAR + distance)))
    return found


def shooter_hooks() -> ReplicationHooks:
    """The shooter's replication hooks: its priorities, every entity relevant to everyone."""
    return ReplicationHooks(priority=shooter_priority)
