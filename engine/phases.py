"""Named phases a step runs through, and the roles a world can play.

Systems are ordered by phase, never by number: a mod that adds a collision
response says "RESOLVE", not "priority 37".
"""

from __future__ import annotations

from enum import Enum


class Phase(Enum):
    """The phases of one simulation step, in the order they run."""

    INPUT = "input"  # read devices, network packets, autopilots into intent components
    SIMULATE = "simulate"  # turn intent into motion; AI; weapons
    COLLIDE = "collide"  # detect overlaps; emit collision events
    RESOLVE = "resolve"  # apply damage, pickups, deaths from those events
    SPAWN = "spawn"  # scripted and random spawns, drops; culling
    NETWORK = "network"  # replicate to peers / send client messages
    PRESENT = "present"  # client-only visual state (never simulation state)


PHASES: tuple[Phase, ...] = tuple(Phase)


class Role(Enum):
    """Which side of the wire a world is: the authority or a replica."""

    SERVER = "server"
    CLIENT = "client"
