"""Firmware logic on both runtimes: vitrine_fw.link.Link (mpy/link_scenarios.py),
the supervisor (mpy/supervisor_scenarios.py), the console service
(mpy/console_scenarios.py), its log ring (mpy/logring_scenarios.py), the lighting
subsystem (mpy/lights_scenarios.py, mpy/scene_scenarios.py), the proximity subsystem
(mpy/proximity_scenarios.py), the beacon subsystem (mpy/beacon_scenarios.py) and the
link's GATT port (mpy/blelink_scenarios.py).

The scenarios are written once, in the subset both runtimes accept: CPython imports each
file and runs every scenario as its own test; MicroPython runs the same file under Node and
reports every scenario's outcome, one test per scenario here.
"""

import beacon_scenarios
import blelink_scenarios
import console_scenarios
import lights_scenarios
import link_scenarios
import logring_scenarios
import proximity_scenarios
import pytest
import scene_scenarios
import supervisor_scenarios
from fw_scenario import scenario_names

SUITES = {
    "link_scenarios": link_scenarios,
    "supervisor_scenarios": supervisor_scenarios,
    "console_scenarios": console_scenarios,
    "logring_scenarios": logring_scenarios,
    "lights_scenarios": lights_scenarios,
    "proximity_scenarios": proximity_scenarios,
    "scene_scenarios": scene_scenarios,
    "beacon_scenarios": beacon_scenarios,
    "blelink_scenarios": blelink_scenarios,
}
CASES = [(suite, name) for suite, module in SUITES.items() for name in scenario_names(vars(module))]


def test_scenarios_exist():
    assert len(scenario_names(vars(link_scenarios))) >= 20
    assert len(scenario_names(vars(supervisor_scenarios))) >= 7
    assert len(scenario_names(vars(console_scenarios))) >= 20
    assert len(scenario_names(vars(logring_scenarios))) >= 5
    assert len(scenario_names(vars(lights_scenarios))) >= 15
    assert len(scenario_names(vars(proximity_scenarios))) >= 14
    assert len(scenario_names(vars(scene_scenarios))) >= 10
    assert len(scenario_names(vars(beacon_scenarios))) >= 12
    assert len(scenario_names(vars(blelink_scenarios))) >= 8


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_cpython(suite, name):
    getattr(SUITES[suite], name)()


@pytest.fixture(scope="module")
def mpy_results(micropython):
    return {suite: micropython.result(f"{suite}.py")["results"] for suite in SUITES}


@pytest.mark.micropython
@pytest.mark.parametrize("suite", SUITES)
def test_micropython_ran_every_scenario(mpy_results, suite):
    assert sorted(mpy_results[suite]) == scenario_names(vars(SUITES[suite]))


@pytest.mark.micropython
@pytest.mark.parametrize(("suite", "name"), CASES)
def test_micropython(mpy_results, suite, name):
    outcome = mpy_results[suite].get(name, "did not run")
    assert outcome is None, outcome
