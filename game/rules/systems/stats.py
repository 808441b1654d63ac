"""The running tallies of a mission, which a summary reports, and each player's score."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.net.replication import Replicated
from engine.world import World
from game.rules.components import Player, Score, Side
from game.rules.content import GameContent
from game.rules.events import (
    Damaged,
    Destroyed,
    EnemySpawned,
    MissileLaunched,
    PickupTaken,
    ShotFired,
)


@dataclass(slots=True)
class MissionStats:
    enemies_spawned: int = 0
    enemies_destroyed: int = 0
    pickups_taken: int = 0
    shots_fired: int = 0
    missiles_launched: int = 0
    players_lost: int = 0


class StatsSystem:
    """Count what happened this step into MissionStats."""

    def update(self, world: World, dt: float) -> None:
        stats = world.resource(MissionStats)
        events = world.events
        stats.enemies_spawned += len(events.read(EnemySpawned))
        for destroyed in events.read(Destroyed):
            if destroyed.side is Side.ENEMY:
                stats.enemies_destroyed += 1
            else:
                stats.players_lost += 1
        stats.pickups_taken += len(events.read(PickupTaken))
        stats.shots_fired += sum(shot.bullets for shot in events.read(ShotFired))
        stats.missiles_launched += len(events.read(MissileLaunched))


@dataclass(slots=True)
class Scoreboard:
    """The mission's Score entities by player id, and which aircraft flew for which player
    (an aircraft shot down is gone by the time its last bullets land)."""

    entities: dict[int, int] = field(default_factory=dict)  # player id -> Score entity
    scores: dict[int, Score] = field(default_factory=dict)  # player id -> its Score
    pilots: dict[int, int] = field(default_factory=dict)  # aircraft entity -> player id


def reset_scores(world: World) -> None:
    """A new mission: every Score gone (new ones come with the players' aircraft)."""
    board = world.try_resource(Scoreboard)
    if board is not None:
        for entity in board.entities.values():
            world.despawn(entity)
    world.insert_resource(Scoreboard())


class ScoreSystem:
    """Each player's score (server): a replicated Score per player flying this mission, and
    into it the shots its aircraft fired (bullets and missiles), its hits on enemies, the
    enemies it brought down (kills, and their kind's points) and the damage it took."""

    def update(self, world: World, dt: float) -> None:
        board = world.try_resource(Scoreboard)
        if board is None:
            board = Scoreboard()
            world.insert_resource(board)
        for entity, player in world.query_one(Player):
            board.pilots[entity] = player.player_id
            score = board.scores.get(player.player_id)
            if score is None:
                score = board.scores[player.player_id] = Score(player.player_id)
                board.entities[player.player_id] = world.spawn(Replicated(), score)
            if player.name and score.name != player.name:
                score.name = player.name
        events = world.events
        for shot in events.read(ShotFired):
            self._add(board, shot.shooter, "shots", shot.bullets)
        for launched in events.read(MissileLaunched):
            self._add(board, launched.shooter, "shots", 1)
        for damaged in events.read(Damaged):
            if damaged.entity in board.pilots:
                self._add(board, damaged.entity, "damage_taken", damaged.amount)
            elif damaged.source != damaged.by:  # a projectile's hit, not a ram
                self._add(board, damaged.by, "hits", 1)
        points = world.resource(GameContent).aircraft
        for destroyed in events.read(Destroyed):
            if destroyed.side is Side.ENEMY:
                self._add(board, destroyed.by, "kills", 1)
                spec = points.get(destroyed.kind)
                self._add(board, destroyed.by, "points", spec.points if spec else 0)

    @staticmethod
    def _add(board: Scoreboard, aircraft: int, tally: str, amount: int) -> None:
        player_id = board.pilots.get(aircraft)
        if player_id is not None and amount:
            score = board.scores[player_id]
            setattr(score, tally, getattr(score, tally) + amount)
