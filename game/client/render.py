"""Drawing the battlefield: the mission's look (sea and islands, a coast, a night storm), the
finish line, pickups, shots, aircraft, effects.

`WorldRenderer.draw(surface, world)` reads a client world's components and
resources and draws them in layers; it changes nothing in the world. An entity
is drawn at its DrawnTransform where it has one (what this client moves in fixed
steps, drawn between its last two steps), else at its Transform. It works on
any Surface, so tests draw offscreen and check pixels.
"""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pygame

from engine.client.render import (
    Camera,
    RotationCache,
    SpriteStrip,
    accelerated,
    blit_centred,
    load_image,
)
from engine.components import Transform
from engine.hooks import DrawHooks
from engine.movement import DrawnTransform
from game.client.effects import Bank, Blast, ParticleField, blast_frame
from game.net.claims import LocalSeat
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Health, Held, Pickup, Player, Projectile, Side
from game.rules.content import GameContent, MissionLook
from game.rules.kinds import Look, Looks

SPRITES_DIR = Path(__file__).resolve().parents[2] / "assets" / "sprites"
OPAQUE = {"background", "shallows", "night_sea", "title"}  # no alpha: blitted without it
DEFAULT_LOOK = MissionLook(background="background", scenery="island", scenery_chance=0.55)
HELD_ALPHA = 110  # an aircraft whose pilot is away is drawn this see-through
ISLAND_BAND = 640  # px of world per band that may hold one island
PICKUP_SPRITES = {
    "health": "pickup_health",
    "missiles": "pickup_missiles",
    "spread": "pickup_spread",
    "fire_rate": "pickup_firerate",
}


class Sprites:
    """Every image the battlefield needs, loaded once."""

    def __init__(self, directory: Path = SPRITES_DIR) -> None:
        self.directory = directory
        self._images: dict[str, pygame.Surface] = {}
        self._strips: dict[tuple[str, int], SpriteStrip] = {}
        self._rotations: dict[str, RotationCache] = {}
        self._faded: dict[tuple[str, int, int], pygame.Surface] = {}

    def image(self, name: str) -> pygame.Surface:
        image = self._images.get(name)
        if image is None:
            image = load_image(self.directory / f"{name}.png", opaque=name in OPAQUE)
            self._images[name] = image
        return image

    def strip(self, name: str, frames: int) -> SpriteStrip:
        strip = self._strips.get((name, frames))
        if strip is None:
            strip = SpriteStrip(self.image(name), frames)
            self._strips[(name, frames)] = strip
        return strip

    def scaled_strip(self, name: str, frames: int, factor: float) -> SpriteStrip:
        """A strip drawn `factor` times larger (a bomber's bigger blast)."""
        key = (f"{name}@{factor:g}", frames)
        strip = self._strips.get(key)
        if strip is None:
            image = self.image(name)
            size = (round(image.get_width() * factor), round(image.get_height() * factor))
            size = (size[0] - size[0] % frames, size[1])
            strip = SpriteStrip(pygame.transform.smoothscale(image, size), frames)
            self._strips[key] = strip
        return strip

    def file(self, path: Path) -> pygame.Surface:
        """An image from anywhere (a mod's sprite), loaded once."""
        key = f"file:{path}"
        image = self._images.get(key)
        if image is None:
            image = self._images[key] = load_image(path)
        return image

    def rotated(self, name: str, degrees: float) -> pygame.Surface:
        cache = self._rotations.get(name)
        if cache is None:
            cache = self._rotations[name] = RotationCache(self.image(name))
        return cache.at(degrees)

    def faded(self, name: str, size: int, alpha: int) -> pygame.Surface:
        """`name` scaled to `size` px with its alpha multiplied (bucketed, cached)."""
        key = (name, size, alpha // 16 * 16)
        surface = self._faded.get(key)
        if surface is None:
            surface = pygame.transform.smoothscale(self.image(name), (size, size))
            surface.fill((255, 255, 255, key[2]), special_flags=pygame.BLEND_RGBA_MULT)
            self._faded[key] = surface = accelerated(surface)
        return surface


class WorldRenderer:
    """Draws a client world as the player sees it."""

    def __init__(self, sprites: Sprites | None = None) -> None:
        self.sprites = sprites or Sprites()
        self._font: pygame.font.Font | None = None

    def draw(self, surface: pygame.Surface, world) -> None:  # noqa: ANN001
        battlefield = world.resource(Battlefield)
        camera = Camera(top=battlefield.view_top)
        height = surface.get_height()
        self._ground(surface, camera, look_of(world))
        self._finish_line(surface, camera, battlefield)
        visible = _Visible(camera, height)
        drawn = dict(world.query_one(DrawnTransform))  # entity -> where it is drawn
        looks = world.try_resource(Looks) or Looks()
        for entity, (pickup, transform) in world.query(Pickup, Transform):
            at = drawn.get(entity, transform)
            if not visible(at):
                continue
            x, y = camera.to_screen(at.x, at.y)
            look = looks.pickups.get(pickup.kind)
            if look is not None:
                self._look(surface, world, entity, look, x, y)
            elif pickup.kind in PICKUP_SPRITES:  # any other kind is drawn by its mod
                blit_centred(surface, self.sprites.image(PICKUP_SPRITES[pickup.kind]), x, y)
        self._particles(surface, world, camera, visible, "smoke")
        for entity, (projectile, transform) in world.query(Projectile, Transform):
            at = drawn.get(entity, transform)
            if not visible(at):
                continue
            x, y = camera.to_screen(at.x, at.y)
            look = looks.projectiles.get(projectile.kind)
            if look is not None:
                self._look(surface, world, entity, look, x, y)
            elif projectile.kind == "missile":
                blit_centred(surface, self.sprites.rotated("missile", at.angle), x, y)
            else:
                name = "bullet_allied" if projectile.side is Side.ALLY else "bullet_enemy"
                blit_centred(surface, self.sprites.image(name), x, y)
        self._particles(surface, world, camera, visible, "fire")
        self._aircraft(surface, world, camera, visible, drawn, looks)
        for _, (blast, transform) in world.query(Blast, Transform):
            strip = self.sprites.scaled_strip("explosion", 16, 1.5 if blast.large else 1.0)
            blit_centred(
                surface,
                strip.frame(blast_frame(blast)),
                *camera.to_screen(transform.x, transform.y),
            )
        hooks = world.try_resource(DrawHooks)
        if hooks is not None:
            for layer in hooks.world:
                layer(surface, world, camera)

    # -- layers -----------------------------------------------------------------------------

    def _ground(self, surface: pygame.Surface, camera: Camera, look: MissionLook) -> None:
        """The mission's look: its background tiled over the view, its scenery scattered
        (the same places every time: seeded by band and look), its shore down the left."""
        width, height = surface.get_size()
        self._tiled(surface, camera, self.sprites.image(look.background), columns=width)
        if look.scenery and look.scenery_chance > 0:
            scenery = self.sprites.image(look.scenery)
            seed = zlib.crc32(look.scenery.encode()) if look.scenery != "island" else 0
            band = int((camera.top - scenery.get_height()) // ISLAND_BAND)
            while band * ISLAND_BAND < camera.top + height:
                rng = random.Random(band * 7919 + seed)
                if rng.random() < look.scenery_chance:
                    x = rng.uniform(-80, width - scenery.get_width() + 80)
                    y = band * ISLAND_BAND + rng.uniform(0, ISLAND_BAND - scenery.get_height())
                    surface.blit(scenery, (round(x), round(y - camera.top)))
                band += 1
        if look.shore:
            shore = self.sprites.image(look.shore)
            self._tiled(surface, camera, shore, columns=shore.get_width())

    @staticmethod
    def _tiled(surface: pygame.Surface, camera: Camera, tile: pygame.Surface, columns: int) -> None:
        """`tile` repeated down the view (fixed to the world, so it scrolls), across
        `columns` px from the left."""
        size = tile.get_height()
        y = int(camera.top // size) * size
        while y < camera.top + surface.get_height():
            for x in range(0, columns, tile.get_width()):
                surface.blit(tile, (x, round(y - camera.top)))
            y += size

    def _finish_line(
        self, surface: pygame.Surface, camera: Camera, battlefield: Battlefield
    ) -> None:
        line = self.sprites.image("finish_line")
        y = battlefield.spec.finish_line_y - camera.top
        if -line.get_height() < y < surface.get_height():
            for x in range(0, surface.get_width(), line.get_width()):
                surface.blit(line, (x, round(y - line.get_height() / 2)))

    def _particles(self, surface, world, camera, visible, kind: str) -> None:  # noqa: ANN001
        field = world.try_resource(ParticleField)
        if field is None:
            return
        name = "particle_smoke" if kind == "smoke" else "particle_fire"
        top, bottom = visible.top, visible.bottom
        faded = self.sprites.faded
        blit = surface.blit
        for particle in field.particles:
            if particle.kind != kind or not top <= particle.y <= bottom:
                continue
            life = particle.age / particle.lifetime
            if kind == "smoke":
                size, alpha = 10 + int(life * 22), int(170 * (1 - life))
            else:
                size, alpha = 10 - int(life * 6), int(255 * (1 - life))
            image = faded(name, max(2, size), max(0, alpha))
            half = image.get_width() // 2
            blit(
                image,
                (round(particle.x - camera.left) - half, round(particle.y - camera.top) - half),
            )

    def _look(self, surface, world, entity: int, look: Look, x: float, y: float) -> None:  # noqa: ANN001
        """A mod's kind: its drawing function, or its sprite centred on (x, y)."""
        if look.draw is not None:
            look.draw(surface, world, entity, x, y)
        elif look.sprite is not None:
            blit_centred(surface, self.sprites.file(look.sprite), x, y)

    def _aircraft(self, surface, world, camera, visible, drawn, looks) -> None:  # noqa: ANN001
        players = []
        for entity, (aircraft, transform) in world.query(Aircraft, Transform):
            transform = drawn.get(entity, transform)
            if not visible(transform):
                continue
            bank = world.try_component(entity, Bank)
            frame = 1
            if bank is not None:
                frame = 0 if bank.value < -0.35 else 2 if bank.value > 0.35 else 1
            if aircraft.side is Side.ALLY:
                players.append((entity, aircraft, transform, frame))
                continue
            x, y = camera.to_screen(transform.x, transform.y)
            look = looks.enemies.get(aircraft.kind)
            if look is None:
                frames = self.sprites.strip(aircraft.kind, 3)
                blit_centred(surface, frames.frame(frame), x, y)
                below = frames.size[1] / 2
            else:
                self._look(surface, world, entity, look, x, y)
                below = self.sprites.file(look.sprite).get_height() / 2 if look.sprite else 30
            health = world.try_component(entity, Health)
            if health is not None and 0 < health.hitpoints < health.max_hitpoints:
                _bar(surface, x, y + below, health.hitpoints / health.max_hitpoints)
        for entity, _aircraft, transform, frame in players:
            seat = world.try_component(entity, LocalSeat)
            name = "eagle" if seat is not None and seat.local_index == 0 else "eagle_p2"
            x, y = camera.to_screen(transform.x, transform.y)
            image = self.sprites.strip(name, 3).frame(frame)
            if world.has_component(entity, Held):  # its pilot is away: dimmed
                image = image.copy()
                image.set_alpha(HELD_ALPHA)
            blit_centred(surface, image, x, y)
            player = world.try_component(entity, Player)
            if player is not None and seat is None and player.name:
                self._label(surface, player.name, x, y + 40)

    def _label(self, surface: pygame.Surface, text: str, x: float, y: float) -> None:
        if self._font is None:
            pygame.font.init()
            self._font = pygame.font.Font(None, 20)
        image = self._font.render(text, True, (235, 240, 255))
        shadow = self._font.render(text, True, (10, 20, 40))
        blit_centred(surface, shadow, x + 1, y + 1)
        blit_centred(surface, image, x, y)


class _Visible:
    """Is a transform within the view (with room for a sprite's half size)?"""

    def __init__(self, camera: Camera, height: int, margin: float = 80.0) -> None:
        self.top = camera.top - margin
        self.bottom = camera.top + height + margin

    def __call__(self, transform: Transform | DrawnTransform) -> bool:
        return self.top <= transform.y <= self.bottom


def _bar(surface: pygame.Surface, x: float, y: float, fraction: float) -> None:
    width = 36
    rect = pygame.Rect(round(x - width / 2), round(y), width, 4)
    pygame.draw.rect(surface, (20, 20, 20), rect.inflate(2, 2))
    fill = rect.copy()
    fill.width = max(1, round(width * fraction))
    colour = (
        (90, 220, 90) if fraction > 0.5 else (240, 200, 60) if fraction > 0.25 else (230, 70, 50)
    )
    pygame.draw.rect(surface, colour, fill)


def look_of(world) -> MissionLook:  # noqa: ANN001
    """The look of the mission the world plays (the book's sea without a campaign)."""
    content = world.try_resource(GameContent)
    spec = None if content is None else content.mission_spec
    return DEFAULT_LOOK if spec is None else spec.look
