"""Named phases a step runs through, and the roles a world can play.

Systems are ordered by phase, never by number: a mod that adds a collision
response says "RESOLVE", not "priority 37". A fixed step runs INPUT to NETWORK;
PRESENT runs once per rendered frame (`World.present`), outside the step.
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
    PRESENT = "present"  # per rendered frame, not per step: client-only visual state


PHASES: tuple[Phase, ...] = tuple(Phase)
FIXED_PHASES: tuple[Phase, ...] = PHASES[:-1]  # World.step runs these; PRESENT is World.present


class Role(Enum):
    """Which side of the wire a world is: the authority or a replica."""

    SERVER = "server"
    CLIENT = "client"
