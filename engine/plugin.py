"""Plugins: one function per feature that adds its systems, resources and types to a world.

Like Bevy's plugins and Godot's modules, a feature registers itself in one
place, and says separately what the authoritative server needs and what a
client replica needs. The game is a plugin; so is every mod.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from engine.world import World


class PluginError(Exception):
    """A plugin could not be added (missing requirement, duplicate, failed build)."""


class Plugin:
    """Base class for a feature. Override the builds you need.

    `build` runs for every role, then `build_server` or `build_client` for the
    world's role. `requires` lists the plugin classes that must already be in the
    world (a subclass counts): `requires = (MovementPlugin, PhysicsPlugin)`.
    """

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[type[Plugin], ...]] = ()

    def build(self, world: World) -> None:
        """Parts every role needs: resources, shared systems, replicated types."""

    def build_server(self, world: World) -> None:
        """Parts only the authority runs (spawning, damage, mission rules)."""

    def build_client(self, world: World) -> None:
        """Parts only a client replica runs (prediction, interpolation, effects)."""

    def plugin_name(self) -> str:
        return self.name or type(self).__name__
