"""supervisor.Liveness on both runtimes (scenarios in mpy/liveness_scenarios.py)."""

import liveness_scenarios
import pytest
from fw_scenario import scenario_names

NAMES = scenario_names(vars(liveness_scenarios))


@pytest.mark.parametrize("name", NAMES)
def test_cpython(name):
    getattr(liveness_scenarios, name)()


@pytest.fixture(scope="module")
def mpy_results(micropython):
    return micropython.result("liveness_scenarios.py")["results"]


@pytest.mark.micropython
def test_micropython_ran_every_scenario(mpy_results):
    assert sorted(mpy_results) == NAMES


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_micropython(name, mpy_results):
    assert mpy_results.get(name, "did not run") is None, mpy_results.get(name, "did not run")
