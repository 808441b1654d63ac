"""World: one esper context, its systems by phase, its resources, events and time.

`step()` runs one fixed step (phases INPUT to NETWORK); `present(dt, alpha)`
runs the PRESENT systems once per rendered frame. Systems are ordered and
guarded by system sets and run conditions (engine/schedule.py).

esper 3 keeps each world in module-level globals switched by name, so every
esper call in the project goes through a World, which switches to its own
context first. Several worlds (a server and its clients in one test, or
single-player) run on one thread, one step at a time.

Structural changes are batched: `spawn` reserves an id at once but attaches the
components at the next phase boundary, and `despawn` takes effect there too, so
esper's query caches are rebuilt at most once per phase instead of once per
entity, and no system sees half-built entities. Until then the entity's parts
are kept aside: `add_component`, `remove_component` and the lookups of one
entity act on them, so a change right after `spawn` composes with it (the later
one wins) instead of being overwritten at the boundary.
"""

from __future__ import annotations

import itertools
import logging
import random
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

import esper

from engine import schedule
from engine.events import EventQueue
from engine.phases import FIXED_PHASES, PHASES, Phase, Role
from engine.plugin import Plugin, PluginError
from engine.schedule import Anchor, Condition, SetConfig, SystemEntry, SystemSet
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


class StructureWatch:
    """The entities whose structure changed (created, a component added, replaced or
    removed, despawned) since the watcher last took them (`World.watch_structure`).

    Change tracking for replication: esper keeps no change ticks, and every structural
    change goes through the World, so the World notes them. Field writes are not
    structure (engine/net/changes.py watches those)."""

    __slots__ = ("entities", "__weakref__")

    def __init__(self) -> None:
        self.entities: set[int] = set()

    def take(self) -> set[int]:
        taken, self.entities = self.entities, set()
        return taken


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
        self._systems: dict[Phase, list[SystemEntry]] = {p: [] for p in PHASES}  # as added
        self._ordered: dict[Phase, list[SystemEntry]] = {p: [] for p in PHASES}  # as run
        self._runs: dict[Phase, list[tuple[SystemFn, tuple[Condition, ...]]]] = {
            p: [] for p in PHASES
        }
        self._fixed_runs = tuple(self._runs[p] for p in FIXED_PHASES)
        self._set_configs: dict[SystemSet, SetConfig] = {}
        self._frame_events = EventQueue()  # every step's events until the next frame
        self._collect_frame_events = False  # only while there are PRESENT systems
        self._pending: dict[int, dict[type, Any]] = {}  # spawned, attached at the boundary
        self._doomed: list[int] = []
        self._doomed_set: set[int] = set()
        self._despawn_hooks: list[DespawnHook] = []
        self._watches: list[weakref.ref[StructureWatch]] = []
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
        self._pending[entity] = {type(c): c for c in components}
        return entity

    def create(self, *components: Any) -> int:
        """Create an entity with its components at once (setup code and tests)."""
        self._enter()
        entity = esper.create_entity(*components)
        if self._watches:
            self._note(entity)
        return entity

    def despawn(self, entity: int) -> None:
        """Remove an entity at the next phase boundary. Despawning twice is harmless."""
        self._enter()
        if entity in self._doomed_set or not esper.entity_exists(entity):
            return
        self._doomed.append(entity)
        self._doomed_set.add(entity)
        if self._watches:
            self._note(entity)

    def watch_structure(self) -> StructureWatch:
        """A watcher that collects every entity whose structure changes from now on (held
        weakly: dropping it ends the watch)."""
        watch = StructureWatch()
        self._watches.append(weakref.ref(watch))
        return watch

    def _note(self, entity: int) -> None:
        dropped = False
        for ref in self._watches:
            watch = ref()
            if watch is None:
                dropped = True
            else:
                watch.entities.add(entity)
        if dropped:
            self._watches = [ref for ref in self._watches if ref() is not None]

    @property
    def pending_despawns(self) -> set[int]:
        """Entities despawned but not yet removed (they go at the next phase boundary)."""
        return self._doomed_set

    def is_alive(self, entity: int) -> bool:
        """Exists and is not waiting to be despawned."""
        self._enter()
        return entity not in self._doomed_set and esper.entity_exists(entity)

    def add_component(self, entity: int, component: Any) -> None:
        """Attach now; to an entity spawned this phase, with its other parts at the boundary
        (replacing a spawned part of the same type: the later one wins)."""
        parts = self._pending.get(entity)
        if parts is not None:
            parts[type(component)] = component
            return
        self._enter()
        esper.add_component(entity, component)
        if self._watches:
            self._note(entity)

    def remove_component(self, entity: int, component_type: type) -> None:
        parts = self._pending.get(entity)
        if parts is not None:
            parts.pop(component_type, None)
            return
        self._enter()
        esper.try_remove_component(entity, component_type)
        if self._watches:
            self._note(entity)

    def component(self, entity: int, component_type: type[C]) -> C:
        """The entity's component of this type; KeyError if it has none."""
        parts = self._pending.get(entity)
        if parts is not None:
            return parts[component_type]
        self._enter()
        return esper.component_for_entity(entity, component_type)

    def try_component(self, entity: int, component_type: type[C]) -> C | None:
        parts = self._pending.get(entity)
        if parts is not None:
            return parts.get(component_type)
        self._enter()
        return esper.try_component(entity, component_type)

    def has_component(self, entity: int, component_type: type) -> bool:
        parts = self._pending.get(entity)
        if parts is not None:
            return component_type in parts
        self._enter()
        return esper.has_component(entity, component_type)

    def components_of(self, entity: int) -> tuple[Any, ...]:
        parts = self._pending.get(entity)
        if parts is not None:
            return tuple(parts.values())
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
        pending, self._pending = self._pending, {}
        watched = bool(self._watches)
        for entity, parts in pending.items():
            if entity in self._doomed_set:
                continue
            for component in parts.values():
                esper.add_component(entity, component)
            if watched:
                self._note(entity)
        doomed, self._doomed = self._doomed, []
        self._doomed_set = set()
        for entity in doomed:
            if watched:
                self._note(entity)
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
        in_set: SystemSet | tuple[SystemSet, ...] | None = None,
        before: Anchor | tuple[Anchor, ...] | None = None,
        after: Anchor | tuple[Anchor, ...] | None = None,
        run_if: Condition | tuple[Condition, ...] | None = None,
    ) -> None:
        """Run `system` in `phase`, in the sets `in_set`, when every `run_if` condition holds.

        `before`/`after` name system sets or system classes (or tuples of them); the
        phase's order is its registration order unless such a constraint says
        otherwise. A class must already have a system in this phase (KeyError); a
        set may have no members yet. A cycle raises ScheduleError and adds nothing.
        """
        fn = system.update if hasattr(system, "update") else system
        if not callable(fn):
            raise TypeError(f"{system!r} is neither callable nor has update(world, dt)")
        entry = SystemEntry(
            system,
            fn,
            schedule.sets(in_set),
            schedule.anchors(before, "before"),
            schedule.anchors(after, "after"),
            schedule.conditions(run_if),
        )
        entries = self._systems[phase]
        for anchor in (*entry.before, *entry.after):
            if isinstance(anchor, type) and not any(e.matches(anchor) for e in entries):
                raise KeyError(f"no {anchor.__name__} in phase {phase.name} of world {self.name!r}")
        entries.append(entry)
        try:
            self._reschedule((phase,))
        except schedule.ScheduleError:
            entries.pop()
            self._reschedule((phase,))
            raise

    def configure_set(
        self,
        system_set: SystemSet,
        *,
        run_if: Condition | tuple[Condition, ...] | None = None,
        before: Anchor | tuple[Anchor, ...] | None = None,
        after: Anchor | tuple[Anchor, ...] | None = None,
    ) -> None:
        """Give every member of a set (now and later) these conditions and constraints.

        Calls add up. Constraints apply within each phase the set has members in; a
        system class named in them must already have a system in the world (KeyError).
        """
        if not isinstance(system_set, SystemSet):
            raise TypeError(f"configure_set takes a SystemSet, not {system_set!r}")
        conditions = schedule.conditions(run_if)
        firsts, thens = schedule.anchors(before, "before"), schedule.anchors(after, "after")
        for anchor in (*firsts, *thens):
            if isinstance(anchor, type) and not any(
                e.matches(anchor) for entries in self._systems.values() for e in entries
            ):
                raise KeyError(f"no {anchor.__name__} in world {self.name!r}")
        old = self._set_configs.get(system_set)
        config = old or SetConfig()
        self._set_configs[system_set] = SetConfig(
            config.run_if + conditions, config.before + firsts, config.after + thens
        )
        try:
            self._reschedule(PHASES)
        except schedule.ScheduleError:
            if old is None:
                del self._set_configs[system_set]
            else:
                self._set_configs[system_set] = old
            self._reschedule(PHASES)
            raise

    def remove_system(self, system: object) -> None:
        changed = []
        for phase, entries in self._systems.items():
            kept = [e for e in entries if e.system is not system]
            if len(kept) != len(entries):
                entries[:] = kept
                changed.append(phase)
        self._reschedule(changed)

    def systems(self, phase: Phase) -> list[object]:
        """The systems of a phase, in the order they run."""
        return [e.system for e in self._ordered[phase]]

    def get_system(self, system_type: type[C]) -> C:
        for entries in self._systems.values():
            for entry in entries:
                if isinstance(entry.system, system_type):
                    return entry.system
        raise KeyError(f"world {self.name!r} has no system {system_type.__name__}")

    def _reschedule(self, phases: Iterable[Phase]) -> None:
        """Sort the phases' systems and precompute what each step runs: (fn, conditions)."""
        configs = self._set_configs
        for phase in phases:
            ordered = schedule.order(self._systems[phase], configs, phase)
            self._ordered[phase] = ordered
            runs = self._runs[phase]
            runs[:] = []  # the step holds these very lists
            for entry in ordered:
                found = list(entry.run_if)
                for member_of in entry.sets:
                    config = configs.get(member_of)
                    if config is not None:
                        found.extend(c for c in config.run_if if c not in found)
                runs.append((entry.fn, tuple(found)))
        self._collect_frame_events = bool(self._runs[Phase.PRESENT])
        if not self._collect_frame_events:
            self._frame_events.clear()

    def add_plugin(self, plugin: Plugin) -> None:
        """Build a plugin into this world: its common part, then its part for this role."""
        name = plugin.plugin_name()
        if name in self.plugins:
            raise PluginError(f"plugin {name!r} is already in world {self.name!r}")
        for required in plugin.requires:
            if not (isinstance(required, type) and issubclass(required, Plugin)):
                raise TypeError(f"plugin {name!r}: requires takes Plugin classes, not {required!r}")
        added = tuple(self.plugins.values())
        missing = [r.__name__ for r in plugin.requires if not any(isinstance(p, r) for p in added)]
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

    # -- the step and the frame ----------------------------------------------------------

    def step(self) -> None:
        """Run one fixed step: the phases INPUT to NETWORK in order, applying structural
        changes between them. PRESENT systems never run here: see `present`."""
        self._enter()
        self.flush()
        dt = self.time.dt
        for runs in self._fixed_runs:
            if runs:
                self._run_phase(runs, dt)
                self.flush()
        events = self.events
        if self._collect_frame_events:
            self._frame_events.extend(events)
        events.clear()
        self.time.step += 1

    def present(self, dt: float, alpha: float = 1.0) -> None:
        """Run the PRESENT systems once for a rendered frame, after the frame's due steps.

        `dt` is the frame's wall time; `alpha` (0..1, `Frame.alpha`) the fraction of a
        step since the last one, kept in `world.time.alpha` for systems that draw
        between the last two steps. During the call `world.events` holds the events of
        every step since the previous frame; they are gone afterwards.
        """
        self.time.alpha = alpha
        runs = self._runs[Phase.PRESENT]
        if not runs:
            return
        self._enter()
        step_events, self.events = self.events, self._frame_events
        try:
            self._run_phase(runs, dt)
            self.flush()
        finally:
            self.events = step_events
            self._frame_events.clear()

    def _run_phase(self, runs: list[tuple[SystemFn, tuple[Condition, ...]]], dt: float) -> None:
        """Call each system of a phase whose run conditions all hold, in order."""
        for fn, conditions in runs:
            if conditions:
                for condition in conditions:
                    if not condition(self):
                        break
                else:
                    fn(self, dt)
            else:
                fn(self, dt)

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()

    def __repr__(self) -> str:
        return f"World({self.name!r}, role={self.role.value}, step={self.time.step})"
