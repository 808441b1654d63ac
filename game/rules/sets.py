"""The shooter's public system sets: what a mod orders its systems against.

    world.add_system(ShieldAbsorbSystem(), Phase.RESOLVE, after=Damage, before=Deaths)

Each set names what its members do, not which classes they are, so the game
can split or rename its systems without breaking a mod. The engine's sets
(`engine.movement.Movement`, `engine.physics.Collisions`, `engine.net.sync.NetReceive`
and `NetSend`) are ordered against the same way.
"""

from __future__ import annotations

from engine.schedule import SystemSet

Scroll = SystemSet("scroll")  # SIMULATE: the view climbs the battlefield
Control = SystemSet("control")  # SIMULATE: player intent to velocity; players kept in view
Flight = SystemSet("flight")  # SIMULATE: enemies fly their patterns, missiles home (server)
Weapons = SystemSet("weapons")  # SIMULATE: guns and missiles fire (server)
Damage = SystemSet("damage")  # RESOLVE: hits and rams take hit points; emits Damaged (server)
Deaths = SystemSet("deaths")  # RESOLVE: aircraft at zero hit points go; emits Destroyed (server)
Pickups = SystemSet("pickups")  # RESOLVE: players take pickups; SPAWN: drops (server)
Spawning = SystemSet("spawning")  # SPAWN: the mission script and random waves (server)
MissionStatus = SystemSet("mission-status")  # SPAWN: success or failure, once (server)
# SPAWN, after MissionStatus: an ended mission restarts after a pause; emits MissionStarted
MissionLifecycle = SystemSet("mission-lifecycle")
Culling = SystemSet("culling")  # SPAWN: what left the battlefield goes (server)
Tallies = SystemSet("tallies")  # SPAWN, before MissionLifecycle: the mission's and players' scores
Autopilots = SystemSet("autopilots")  # INPUT: aircraft flown by the built-in autopilot
Effects = SystemSet("effects")  # PRESENT, after Smoothing: banking, blasts, trails, sounds (window)
