"""Cloudbreak engine: worlds of esper components, systems in phases, plugins, time, physics.

The engine knows nothing about any particular game. Import the pieces you need:

    from engine import World, Phase, Role, Plugin
"""

from engine.components import Transform, Velocity
from engine.events import EventQueue
from engine.phases import PHASES, Phase, Role
from engine.plugin import Plugin, PluginError
from engine.time import FixedStepLoop, ManualClock, MonotonicClock, WorldTime
from engine.world import System, World

__all__ = [
    "PHASES",
    "EventQueue",
    "FixedStepLoop",
    "ManualClock",
    "MonotonicClock",
    "Phase",
    "Plugin",
    "PluginError",
    "Role",
    "System",
    "Transform",
    "Velocity",
    "World",
    "WorldTime",
]
