import pytest

from engine import Role, World


@pytest.fixture
def world():
    made = World(Role.SERVER, seed=1)
    yield made
    made.close()
