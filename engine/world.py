"""World: one esper context, its systems by phase, its resources, events and time.

esper 3 keeps each world in module-level globals switched by name, so every
esper call in the project goes through a World, which switches to its own
context first. Several worlds (a server and its clients in one test, or
single-player) run on one thread, one step at a time.

Structural changes are batched: `spawn` reserves an id at once but attaches the
components at the next phase boundary, and `despawn` takes effect there too, so
esper's query caches are rebuilt at most once per phase instead of once per
entity, and no system sees half-built entities.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

import esper

from engine.events import EventQueue
from engine.phases import PHASES, Phase, Role
from engine.plugin import Plugin, PluginError
from engine.time import WorldTime

log = logging.getLogger(__name__)

C = TypeVar("C")
R = TypeVar("R")

_world_ids = itertools.count(1)


class System(Protocol):
    """Behaviour without state: reads and writes components and resources."""

    def update(self, world: World, dt: float) -> None: ...


SystemFn = Callable[["World", float], None]
DespawnHook = Callable[[int, dict[type, Any]], None]


class World:
    """An ECS world: entities and components (esper), systems by phase, resources."""

    def __init__(
        self,
        role: Role = Role.SERVER,
        *,
        seed: int = 0,
        step_hz: int = 60,
        tick_every: int = 3,
        name: str | None = None,
    ) -> None:
        self.role = role
        self.name = name or f"{role.value}-{next(_world_ids)}"
        self.time = WorldTime(step_hz=step_hz, tick_every=tick_every)
        self.events = EventQueue()
        self.rng = random.Random(seed)
        self.plugins: dict[str, Plugin] = {}
        self._resources: dict[type, Any] = {}
        self._systems: dict[Phase, list[tuple[object, SystemFn]]] = {p: [] for p in PHASES}
        self._pending: list[tuple[int, tuple[Any, ...]]] = []
        self._doomed: list[int] = []
        self._doomed_set: set[int] = set()
        self._despawn_hooks: list[DespawnHook] = []
        self._closed = False
        if self.name in esper.list_worlds():
            raise ValueError(f"a world named {self.name!r} already exists")
        self._enter()

    # -- esper context -------------------------------------------------------------------

    def _enter(self) -> None:
        if esper.current_world != self.name:
            esper.switch_world(self.name)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Free this world's esper context. The World is unusable afterwards."""
        if self._closed:
            return
        self._closed = True
        if esper.current_world == self.name:
            esper.switch_world("default")
        esper.delete_world(self.name)

    # -- entities ------------------------------------------------------------------------

    def spawn(self, *components: Any) -> int:
        """Reserve an entity id now; its components attach at the next phase boundary."""
        self._enter()
        entity = esper.create_entity()
        self._pending.append((entity, components))
        return entity

    def create(self, *components: Any) -> int:
        """Create an entity with its components at once (setup code and tests)."""
        self._enter()
        return esper.create_entity(*components)

    def despawn(self, entity: int) -> None:
        """Remove an entity at the next phase boundary. Despawning twice is harmless."""
        self._enter()
        if entity in self._doomed_set or not esper.entity_exists(entity):
            return
        self._doomed.append(entity)
        self._doomed_set.add(entity)

    @property
    def pending_despawns(self) -> set[int]:
        """Entities despawned but not yet removed (they go at the next phase boundary)."""
        return self._doomed_set

    def is_alive(self, entity: int) -> bool:
        """Exists and is not waiting to be despawned."""
        self._enter()
        return entity not in self._doomed_set and esper.entity_exists(entity)

    def add_component(self, entity: int, component: Any) -> None:
        self._enter()
        esper.add_component(entity, component)

    def remove_component(self, entity: int, component_type: type) -> None:
        self._enter()
        esper.try_remove_component(entity, component_type)

    def component(self, entity: int, component_type: type[C]) -> C:
        """The entity's component of this type; KeyError if it has none."""
        self._enter()
        return esper.component_for_entity(entity, component_type)

    def try_component(self, entity: int, component_type: type[C]) -> C | None:
        self._enter()
        return esper.try_component(entity, component_type)

    def has_component(self, entity: int, component_type: type) -> bool:
        self._enter()
        return esper.has_component(entity, component_type)

    def components_of(self, entity: int) -> tuple[Any, ...]:
        self._enter()
        return esper.components_for_entity(entity)

    def query(self, *component_types: type) -> list[tuple[int, tuple[Any, ...]]]:
        """(entity, (components...)) for entities that have all the types. Unordered."""
        self._enter()
        return esper.get_components(*component_types)

    def query_one(self, component_type: type[C]) -> list[tuple[int, C]]:
        """(entity, component) for every entity with this type. Unordered."""
        self._enter()
        return esper.get_component(component_type)

    def entity_count(self) -> int:
        self._enter()
        return len(esper._entities)  # esper has no public count; read-only use

    def on_despawn(self, hook: DespawnHook) -> None:
        """Call hook(entity, {type: component}) just before an entity is removed."""
        self._despawn_hooks.append(hook)

    def flush(self) -> None:
        """Apply pending spawns and despawns (the World calls this between phases)."""
        if not self._pending and not self._doomed:
            return
        self._enter()
        pending, self._pending = self._pending, []
        for entity, components in pending:
            if entity in self._doomed_set:
                continue
            for component in components:
                esper.add_component(entity, component)
        doomed, self._doomed = self._doomed, []
        self._doomed_set = set()
        for entity in doomed:
            if self._despawn_hooks:
                parts = {type(c): c for c in esper.components_for_entity(entity)}
                for hook in self._despawn_hooks:
                    hook(entity, parts)
            esper.delete_entity(entity)
        esper.clear_dead_entities()
        if self._pending or self._doomed:  # hooks may spawn or despawn in turn
            self.flush()

    # -- resources -----------------------------------------------------------------------

    def insert_resource(self, resource: Any, as_type: type | None = None) -> None:
        """Store a singleton (battlefield, registry, config) under its type."""
        self._resources[as_type or type(resource)] = resource

    def resource(self, resource_type: type[R]) -> R:
        try:
            return self._resources[resource_type]
        except KeyError:
            raise KeyError(
                f"world {self.name!r} has no resource {resource_type.__name__}; "
                "is the plugin that provides it added?"
            ) from None

    def try_resource(self, resource_type: type[R]) -> R | None:
        return self._resources.get(resource_type)

    def has_resource(self, resource_type: type) -> bool:
        return resource_type in self._resources

    def remove_resource(self, resource_type: type) -> None:
        self._resources.pop(resource_type, None)

    # -- systems and plugins -------------------------------------------------------------

    def add_system(
        self,
        system: System | SystemFn,
        phase: Phase,
        *,
        before: type | None = None,
        after: type | None = None,
    ) -> None:
        """Run `system` in `phase`: last, or just before/after the system of a given type.

        `before`/`after` let a mod slot in next to a known system without
        renumbering anything; the named system must already be in that phase.
        """
        fn = system.update if hasattr(system, "update") else system
        if not callable(fn):
            raise TypeError(f"{system!r} is neither callable nor has update(world, dt)")
        entries = self._systems[phase]
        anchor = before or after
        if anchor is None:
            entries.append((system, fn))
            return
        for index, (existing, _) in enumerate(entries):
            if isinstance(existing, anchor):
                entries.insert(index if before else index + 1, (system, fn))
                return
        raise KeyError(f"no {anchor.__name__} in phase {phase.name} of world {self.name!r}")

    def remove_system(self, system: object) -> None:
        for entries in self._systems.values():
            entries[:] = [(s, fn) for s, fn in entries if s is not system]

    def systems(self, phase: Phase) -> list[object]:
        return [s for s, _ in self._systems[phase]]

    def get_system(self, system_type: type[C]) -> C:
        for entries in self._systems.values():
            for system, _ in entries:
                if isinstance(system, system_type):
                    return system
        raise KeyError(f"world {self.name!r} has no system {system_type.__name__}")

    def add_plugin(self, plugin: Plugin) -> None:
        """Build a plugin into this world: its common part, then its part for this role."""
        name = plugin.plugin_name()
        if name in self.plugins:
            raise PluginError(f"plugin {name!r} is already in world {self.name!r}")
        missing = [r for r in plugin.requires if r not in self.plugins]
        if missing:
            raise PluginError(f"plugin {name!r} requires {', '.join(missing)} first")
        plugin.build(self)
        if self.role is Role.SERVER:
            plugin.build_server(self)
        else:
            plugin.build_client(self)
        self.plugins[name] = plugin
        log.debug("world %s: plugin %s added", self.name, name)

    def add_plugins(self, plugins: Iterable[Plugin]) -> None:
        for plugin in plugins:
            self.add_plugin(plugin)

    # -- the step ------------------------------------------------------------------------

    def step(self) -> None:
        """Run one fixed step: every phase in order, applying structural changes between."""
        self._enter()
        self.flush()
        dt = self.time.dt
        for phase in PHASES:
            entries = self._systems[phase]
            if not entries:
                continue
            for _, fn in entries:
                fn(self, dt)
            self.flush()
        self.events.clear()
        self.time.step += 1

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()

    def __repr__(self) -> str:
        return f"World({self.name!r}, role={self.role.value}, step={self.time.step})"
