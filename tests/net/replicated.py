"""The small replicated world the replication tests share: positions, a velocity sent only
when an entity appears, and a hull with hit points and a label."""

from __future__ import annotations

from dataclasses import dataclass

from engine.components import Transform, Velocity
from engine.net.codec import Quantized, Str, SVarint
from engine.net.replication import ReplicationRegistry

POS = Quantized(8, -10000, 10000)
TRANSFORM, VELOCITY, HULL = 1, 2, 3  # type ids, in registration order


@dataclass
class Hull:
    hitpoints: int = 0
    label: str = ""


def registry() -> ReplicationRegistry:
    """Transform (interpolated), Velocity (initial only) and Hull, as type ids 1, 2 and 3."""
    reg = ReplicationRegistry()
    reg.register(Transform, {"x": POS, "y": POS}, interpolate=True)
    reg.register(Velocity, {"x": POS, "y": POS}, initial_only=True)
    reg.register(Hull, {"hitpoints": SVarint(), "label": Str(16)})
    return reg
