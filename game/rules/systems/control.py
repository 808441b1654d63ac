"""Player control: intent to velocity, and keeping players inside the view."""

from __future__ import annotations

import math

from engine.components import Transform, Velocity
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Held, Player, PlayerInput
from game.rules.content import GameContent


class PlayerControlSystem:
    """Velocity = normalised input * speed, plus the scroll so players keep pace with the view.
    A Held aircraft's input is ignored: it keeps pace with the view, nothing more."""

    def update(self, world: World, dt: float) -> None:
        content = world.resource(GameContent)
        scroll = world.resource(Battlefield).scroll_velocity
        for entity, (intent, velocity, aircraft, _player) in world.query(
            PlayerInput, Velocity, Aircraft, Player
        ):
            if world.has_component(entity, Held):
                velocity.x, velocity.y = 0.0, scroll
                continue
            speed = content.aircraft[aircraft.kind].speed
            mx = max(-1.0, min(1.0, intent.move_x))
            my = max(-1.0, min(1.0, intent.move_y))
            length = math.hypot(mx, my)
            if length > 1.0:  # diagonals: same speed as straight lines
                mx, my = mx / length, my / length
            velocity.x = mx * speed
            velocity.y = my * speed + scroll


class HoldSystem:
    """Each Held aircraft keeps its place in the view, whatever moves it (on the server: its
    pilot's client moves it, and that client is away)."""

    def update(self, world: World, dt: float) -> None:
        view_top = world.resource(Battlefield).view_top
        for _, (held, transform) in world.query(Held, Transform):
            if held.view_y is None:
                held.view_y = transform.y - view_top
            transform.y = view_top + held.view_y


class ClampToViewSystem:
    """Players stay `player_margin` px inside the view, whatever moved them."""

    def update(self, world: World, dt: float) -> None:
        battlefield = world.resource(Battlefield)
        margin = battlefield.spec.player_margin
        left, right = margin, battlefield.width - margin
        top, bottom = battlefield.view_top + margin, battlefield.view_bottom - margin
        for _, (transform, _player) in world.query(Transform, Player):
            transform.x = min(max(transform.x, left), right)
            transform.y = min(max(transform.y, top), bottom)
