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
    requires = ("probe",)


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


def test_requirements_and_duplicates_are_refused_by_name():
    world = World()
    try:
        with pytest.raises(PluginError, match="needs-probe.*requires probe"):
            world.add_plugin(NeedsProbe())
        world.add_plugins([Probe(), NeedsProbe()])
        with pytest.raises(PluginError, match="already"):
            world.add_plugin(Probe())
    finally:
        world.close()


def test_unnamed_plugin_is_named_after_its_class():
    class Anonymous(Plugin):
        pass

    assert Anonymous().plugin_name() == "Anonymous"
