"""Cloudbreak engine: worlds of esper components, systems in phases, plugins, time, physics.

The engine knows nothing about any particular game. Import the pieces you need:

    from engine import World, Phase, Role, Plugin, SystemSet, on_network_tick
"""

from engine.components import Transform, Velocity
from engine.events import EventQueue
from engine.phases import FIXED_PHASES, PHASES, Phase, Role
from engine.plugin import Plugin, PluginError
from engine.schedule import ScheduleError, SystemSet, on_network_tick
from engine.time import FixedStepLoop, ManualClock, MonotonicClock, WorldTime
from engine.world import System, World

__all__ = [
    "FIXED_PHASES",
    "PHASES",
    "EventQueue",
    "FixedStepLoop",
    "ManualClock",
    "MonotonicClock",
    "Phase",
    "Plugin",
    "PluginError",
    "Role",
    "ScheduleError",
    "System",
    "SystemSet",
    "Transform",
    "Velocity",
    "World",
    "WorldTime",
    "on_network_tick",
]
