"""Client-side presentation state: banking, explosions, missile trails. No pygame here.

These are components and PRESENT-phase systems of a client world, run once per
frame: they turn what the snapshots say (positions, the Explosion cues of every
step since the last frame, missiles in flight) into short-lived visual entities
that exist only on this client. The renderer then only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.components import Transform
from engine.movement import DrawnTransform, Smoothing
from engine.phases import Phase
from engine.plugin import Plugin
from engine.world import World
from game.net.protocol import Explosion
from game.rules.components import Aircraft, Projectile
from game.rules.sets import Effects

EXPLOSION_SECONDS = 1.0
EXPLOSION_FRAMES = 16
TRAIL_RATE = 30.0  # particles per second, per kind
SMOKE_SECONDS = 4.0
FIRE_SECONDS = 0.6
BANK_SPEED = 120.0  # px/s of sideways motion that shows a full bank


@dataclass(slots=True)
class Bank:
    """-1 (banking left) .. 1 (right), eased from sideways motion; `last_x` remembers."""

    value: float = 0.0
    last_x: float | None = None


@dataclass(slots=True)
class Blast:
    """An explosion playing out: `age` of EXPLOSION_SECONDS."""

    age: float = 0.0
    large: bool = False


@dataclass(slots=True)
class Particle:
    kind: str  # "smoke" or "fire"
    x: float
    y: float
    age: float = 0.0
    lifetime: float = 1.0
    drift_x: float = 0.0
    drift_y: float = 0.0


@dataclass(slots=True)
class ParticleField:
    """Every live particle, in one list: a trail puff is no entity (hundreds spawn and expire
    each second, and each entity change would rebuild every esper query)."""

    particles: list[Particle] = field(default_factory=list)


@dataclass(slots=True)
class Trail:
    """Particles owed to a missile's trail (fractional, carried between steps)."""

    owed: float = 0.0


class BankSystem:
    """Ease each aircraft's bank towards its sideways speed, as drawn this frame."""

    def update(self, world: World, dt: float) -> None:
        for entity, (_aircraft, transform) in world.query(Aircraft, Transform):
            x = (world.try_component(entity, DrawnTransform) or transform).x
            bank = world.try_component(entity, Bank)
            if bank is None:
                world.add_component(entity, Bank(0.0, x))
                continue
            if bank.last_x is not None and dt > 0:
                speed = (x - bank.last_x) / dt
                target = max(-1.0, min(1.0, speed / BANK_SPEED))
                bank.value += (target - bank.value) * min(1.0, dt * 10)
            bank.last_x = x


class BlastSystem:
    """Start a blast for every Explosion cue; age blasts and particles; remove the spent."""

    def update(self, world: World, dt: float) -> None:
        for cue in world.events.read(Explosion):
            world.spawn(Transform(cue.x, cue.y), Blast(0.0, cue.large))
        for entity, (blast,) in world.query(Blast):
            blast.age += dt
            if blast.age >= EXPLOSION_SECONDS:
                world.despawn(entity)
        field_ = world.resource(ParticleField)
        alive = []
        for particle in field_.particles:
            particle.age += dt
            if particle.age < particle.lifetime:
                particle.x += particle.drift_x * dt
                particle.y += particle.drift_y * dt
                alive.append(particle)
        field_.particles = alive


class TrailSystem:
    """Missiles leave smoke (long) and propellant fire (short) behind them."""

    def update(self, world: World, dt: float) -> None:
        for entity, (projectile, transform) in world.query(Projectile, Transform):
            if projectile.kind != "missile":
                continue
            trail = world.try_component(entity, Trail)
            if trail is None:
                world.add_component(entity, Trail())
                continue
            trail.owed += TRAIL_RATE * dt
            particles = world.resource(ParticleField).particles
            while trail.owed >= 1.0:
                trail.owed -= 1.0
                x, y = transform.x, transform.y
                wobble = world.rng.uniform(-6.0, 6.0)
                drift = world.rng.uniform(-4.0, 4.0)
                particles.append(Particle("smoke", x, y, 0.0, SMOKE_SECONDS, wobble, drift))
                particles.append(Particle("fire", x, y, 0.0, FIRE_SECONDS))


class EffectsPlugin(Plugin):
    """Client-only visual state, in the PRESENT phase, after this frame's positions."""

    name = "cloudbreak-effects"

    def build_client(self, world: World) -> None:
        world.insert_resource(ParticleField())
        world.configure_set(Effects, after=Smoothing)
        world.add_system(BankSystem(), Phase.PRESENT, in_set=Effects)
        world.add_system(BlastSystem(), Phase.PRESENT, in_set=Effects)
        world.add_system(TrailSystem(), Phase.PRESENT, in_set=Effects)


def blast_frame(blast: Blast) -> int:
    return min(EXPLOSION_FRAMES - 1, int(blast.age / EXPLOSION_SECONDS * EXPLOSION_FRAMES))
