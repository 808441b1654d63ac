"""Plugins: a common build, then the build for the world's role; requirements and duplicates."""

import pytest

from engine import Phase, Plugin, PluginError, Role, World


class Probe(Plugin):
    name = "probe"

    def __init__(self):
        self.calls = []

    def build(self, world):
        self.calls.append("build")
        world.add_system(lambda w, dt: None, Phase.SIMULATE)

    def build_server(self, world):
        self.calls.append("server")

    def build_client(self, world):
        self.calls.append("client")


class NeedsProbe(Plugin):
    name = "needs-probe"
    requires = (Probe,)


class Other(Plugin):
    name = "other"


class NeedsBoth(Plugin):
    name = "needs-both"
    requires = (Probe, Other)


@pytest.mark.parametrize(("role", "expected"), [(Role.SERVER, "server"), (Role.CLIENT, "client")])
def test_plugin_builds_common_part_then_its_role(role, expected):
    world = World(role)
    try:
        probe = Probe()
        world.add_plugin(probe)
        assert probe.calls == ["build", expected]
        assert "probe" in world.plugins
        assert len(world.systems(Phase.SIMULATE)) == 1
    finally:
        world.close()


def test_requirements_are_plugin_classes_and_a_missing_one_is_named():
    world = World()
    try:
        with pytest.raises(PluginError, match="needs-probe.*requires Probe first"):
            world.add_plugin(NeedsProbe())
        assert "needs-probe" not in world.plugins
        world.add_plugins([Probe(), NeedsProbe()])
        assert "needs-probe" in world.plugins
        with pytest.raises(PluginError, match="'needs-both' requires Other first"):
            world.add_plugin(NeedsBoth())
        with pytest.raises(PluginError, match="already"):
            world.add_plugin(Probe())
    finally:
        world.close()


def test_every_missing_requirement_is_named():
    world = World()
    try:
        with pytest.raises(PluginError, match="requires Probe, Other first"):
            world.add_plugin(NeedsBoth())
    finally:
        world.close()


def test_a_subclass_satisfies_a_requirement():
    class BetterProbe(Probe):
        name = "better-probe"

    world = World()
    try:
        world.add_plugins([BetterProbe(), NeedsProbe()])
        assert "needs-probe" in world.plugins
    finally:
        world.close()


def test_requirements_by_name_are_refused():
    class ByName(Plugin):
        name = "by-name"
        requires = ("probe",)  # type: ignore[assignment]

    world = World()
    try:
        world.add_plugin(Probe())
        with pytest.raises(TypeError, match="requires takes Plugin classes, not 'probe'"):
            world.add_plugin(ByName())
        assert "by-name" not in world.plugins
    finally:
        world.close()


def test_unnamed_plugin_is_named_after_its_class():
    class Anonymous(Plugin):
        pass

    assert Anonymous().plugin_name() == "Anonymous"
