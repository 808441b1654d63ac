"""The campaign: the missions of data/campaign.toml, played in order.

A mission won leads to the next; a mission lost is flown again; after the last one
the campaign is complete and begins again with the first (what an arcade game does:
the results of the last mission say so, then the first comes round). The rules
decide it when an ended mission restarts (game.rules.mission): `advance` picks the
next mission from the outcome, then the reset installs it (`install_mission`):
the world's GameContent becomes that mission's (script, waves, length) and the
battlefield takes its length. A client installs the mission the server replicates
(game.net.claims) to draw its look and name it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.content import GameContent


@dataclass(slots=True)
class Campaign:
    """The missions in order, and which one is played (an index into `order`)."""

    order: tuple[str, ...]
    index: int = 0

    @property
    def current(self) -> str:
        return self.order[self.index]

    @property
    def number(self) -> int:
        """1 for the first mission of the campaign, 2 for the second, ..."""
        return self.index + 1

    def following(self, won: bool) -> int:
        """The index played after this mission: the next if it was won (the first after
        the last), else the same."""
        return (self.index + 1) % len(self.order) if won else self.index

    def completes(self, won: bool) -> bool:
        """Does this mission, won, complete the campaign (it is the last)?"""
        return won and self.index == len(self.order) - 1

    def advance(self, won: bool) -> None:
        """After a mission: on to `following(won)`."""
        self.index = self.following(won)

    def choose(self, name: str) -> None:
        """Play `name` next (ValueError listing the valid names for an unknown one)."""
        if name not in self.order:
            raise ValueError(f"mission must be one of {', '.join(self.order)}, got {name!r}")
        self.index = self.order.index(name)


def campaign_for(content: GameContent, mission: str | None = None) -> Campaign | None:
    """The campaign of `content`, at `mission` (default: the first); None when the content
    has no missions (a test's hand-made content)."""
    if not content.missions:
        return None
    campaign = Campaign(tuple(content.missions))
    if mission:
        campaign.choose(mission)
    return campaign


def install_mission(world: World) -> None:
    """Make the campaign's current mission the world's: its content and the battlefield's
    length (the view keeps its place: the reset or the server's view moves it)."""
    campaign = world.try_resource(Campaign)
    content = world.resource(GameContent)
    if campaign is None or content.mission == campaign.current:
        return
    content = content.for_mission(campaign.current)
    world.insert_resource(content)
    world.resource(Battlefield).spec = content.battlefield


def mission_title(world: World, index: int | None = None) -> str:
    """The current mission's "Mission 2: The Coast" (or the campaign's `index`th), for the
    HUD and the results; "" without a campaign."""
    campaign = world.try_resource(Campaign)
    content = world.try_resource(GameContent)
    if campaign is None or content is None:
        return ""
    index = campaign.index if index is None else index
    spec = content.missions.get(campaign.order[index])
    return "" if spec is None else f"Mission {index + 1}: {spec.title}"
