"""The board's link core (vitrine_fw.link.Link) on both runtimes.

The scenarios are written once, in mpy/link_scenarios.py, in the subset both runtimes accept:
CPython imports them and runs each as its own test; MicroPython runs the same file under Node
and reports every scenario's outcome, one test per scenario here.
"""

import link_scenarios
import pytest
from fw_scenario import scenario_names

NAMES = scenario_names(vars(link_scenarios))


def test_scenarios_exist():
    assert len(NAMES) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_cpython(name):
    getattr(link_scenarios, name)()


@pytest.fixture(scope="module")
def mpy_results(micropython):
    return micropython.result("link_scenarios.py")["results"]


@pytest.mark.micropython
def test_micropython_ran_every_scenario(mpy_results):
    assert sorted(mpy_results) == NAMES


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_micropython(name, mpy_results):
    assert mpy_results.get(name, "did not run") is None, mpy_results.get(name, "did not run")
