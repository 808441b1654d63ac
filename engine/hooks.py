"""Drawing hooks a plugin adds to a client world, for its renderer and HUD to call.

Kept free of pygame so a mod module can import it on a headless server; the
hooks themselves only run on clients, called by the game's renderer (world
layers, in world coordinates through the camera) and HUD (screen coordinates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from engine.world import World

WorldLayer = Callable[[Any, World, Any], None]  # (surface, world, camera)
HudLayer = Callable[[Any, World], None]  # (surface, world)


ActionHandler = Callable[[World, int, str], None]  # (world, seat, action) on a key press
H = TypeVar("H", bound="_Hooks")


class _Hooks:
    @classmethod
    def of(cls: type[H], world: World) -> H:
        """The world's hooks of this kind, created on first use."""
        hooks = world.try_resource(cls)
        if hooks is None:
            hooks = cls()
            world.insert_resource(hooks)
        return hooks


@dataclass
class ControlHooks(_Hooks):
    """Handlers for bound actions a player presses (a game mode's own controls)."""

    press: list[ActionHandler] = field(default_factory=list)


@dataclass
class DrawHooks(_Hooks):
    world: list[WorldLayer] = field(default_factory=list)  # drawn over the aircraft
    hud: list[HudLayer] = field(default_factory=list)  # drawn over the HUD


Rect = tuple[int, int, int, int]  # x, y, width, height


@dataclass
class HudRegions(_Hooks):
    """Areas of the HUD nothing of the game's covers, for a mod's HUD layer: the HUD sets
    them each frame, before its layers run. `take(name, height)` hands out the lowest
    `height` px left in a region (regions fill from the bottom up), so two mods never
    draw over each other or over the game's panels."""

    free: dict[str, Rect] = field(default_factory=dict)

    def take(self, name: str, height: int) -> Rect | None:
        """`height` px across region `name`, or None when it has no room left."""
        x, y, width, room = self.free.get(name, (0, 0, 0, 0))
        if height > room:
            return None
        self.free[name] = (x, y, width, room - height)
        return (x, y + room - height, width, height)
