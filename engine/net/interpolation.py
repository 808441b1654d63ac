"""Client-side smoothing: draw remote entities a little in the past, between two snapshots.

Snapshots arrive 20 times a second, unevenly. A client shows remote entities
`delay_ticks` (about two) behind the newest tick it has, blending the two
samples around that moment, so motion is smooth and a late packet does not
cause a stop-start. The client's own aircraft is predicted, not interpolated.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.net.replication import Interpolated, Predicted, ReplicationRegistry
from engine.world import World


@dataclass(slots=True)
class NetClock:
    """The client's idea of server time, in ticks (fractional between snapshots)."""

    tick_rate: float = 20.0
    delay_ticks: float = 2.0
    latest_tick: int = -1  # newest snapshot applied
    estimate: float = -1.0  # smoothed server tick "now"

    @property
    def render_tick(self) -> float:
        return self.estimate - self.delay_ticks

    def on_snapshot(self, tick: int) -> None:
        self.latest_tick = tick
        if self.estimate < 0 or abs(self.estimate - tick) > 10:
            self.estimate = float(tick)  # first snapshot, or far off: jump

    def advance(self, dt: float) -> None:
        """Run the estimate forward; nudge it towards the newest tick so it neither
        runs away from the server nor stalls (a gentle clock sync)."""
        if self.estimate < 0:
            return
        self.estimate += dt * self.tick_rate
        error = self.latest_tick - self.estimate
        self.estimate += error * min(1.0, dt * 2.0)


def sample(track: list[tuple[int, tuple]], at: float, blends: tuple[float | None, ...]) -> tuple:
    """Keys at fractional tick `at`: blend the samples around it; hold the ends.

    `blends` says per field how (`Codec.blend`): None holds the older key, 0.0 is
    linear, a positive period goes the short way round.
    """
    if at <= track[0][0]:
        return track[0][1]
    for (t0, k0), (t1, k1) in zip(track, track[1:], strict=False):
        if t0 <= at < t1:
            f = (at - t0) / (t1 - t0)
            return tuple(
                a
                if how is None or a == b
                else a + ((b - a + how / 2) % how - how / 2 if how else b - a) * f
                for a, b, how in zip(k0, k1, blends, strict=True)
            )
    return track[-1][1]


class InterpolationSystem:
    """Write each interpolated component from its samples at the render tick."""

    def __init__(self, registry: ReplicationRegistry) -> None:
        self.registry = registry

    def update(self, world: World, dt: float) -> None:
        clock = world.resource(NetClock)
        clock.advance(dt)
        at = clock.render_tick
        by_id = self.registry.by_id
        predicted = {entity for entity, _ in world.query_one(Predicted)}
        for entity, interpolated in world.query_one(Interpolated):
            if entity in predicted:
                continue
            written = interpolated.written
            for type_id, track in interpolated.tracks.items():
                # Drop samples older than the one before the render tick.
                while len(track) > 2 and track[1][0] <= at:
                    del track[0]
                spec = by_id[type_id]
                keys = sample(track, at, spec.blends)
                if written.get(type_id) == keys:
                    continue  # at rest, or between two equal samples: nothing to write
                component = world.try_component(entity, spec.component_type)
                if component is None:
                    continue
                for index, (name, codec) in enumerate(spec.fields):
                    setattr(component, name, codec.from_key(keys[index]))
                written[type_id] = keys
