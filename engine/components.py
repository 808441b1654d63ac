"""Components every 2D game needs: where a thing is and how it moves."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Transform:
    """Position in world pixels (y grows downwards) and heading in degrees."""

    x: float = 0.0
    y: float = 0.0
    angle: float = 0.0


@dataclass(slots=True)
class Velocity:
    """Pixels per second."""

    x: float = 0.0
    y: float = 0.0
