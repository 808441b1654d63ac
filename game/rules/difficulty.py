"""Difficulty: easy, normal or hard, chosen when the world is made.

The levels' numbers are data (`game/rules/data/difficulty.toml`, loaded into
`GameContent.difficulties`); their names are fixed here, so a settings screen, a
command line or a lobby can offer them without loading anything:

    from game.rules.difficulty import DIFFICULTIES, DEFAULT_DIFFICULTY
    GameServer(difficulty="hard")          # or: python -m game.server --difficulty hard

The rules plugin puts the chosen level in the world as the `Difficulty` resource;
the systems that spawn enemies and waves read it (`difficulty_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.world import World

DIFFICULTIES = ("easy", "normal", "hard")  # in order, easiest first
DEFAULT_DIFFICULTY = "normal"


@dataclass(frozen=True, slots=True)
class Difficulty:
    """How one difficulty level scales the enemies (a world resource while it is played)."""

    name: str
    enemy_fire: float = 1.0  # shots per second multiplied by this
    enemy_health: float = 1.0  # hit points multiplied by this
    waves: float = 1.0  # random waves per minute multiplied by this
    wave_size: float = 1.0  # enemies per random wave multiplied by this

    def hitpoints(self, base: int) -> int:
        return max(1, round(base * self.enemy_health))

    def fire_interval(self, base: float) -> float:
        return base / self.enemy_fire

    def wave_count(self, base: int) -> int:
        return max(1, round(base * self.wave_size)) if base > 0 else 0


NORMAL = Difficulty(DEFAULT_DIFFICULTY)


def difficulty_of(world: World) -> Difficulty:
    """The world's difficulty; normal where none was chosen (a bare test world)."""
    return world.try_resource(Difficulty) or NORMAL
