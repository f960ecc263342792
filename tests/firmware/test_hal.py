"""vitrine_fw.hal against a fake `machine` (mpy/fake_machine/) under MicroPython.

hal imports `micropython`, so it runs only there. What the fake layer had to supply is
reported by the script (NOTES line) and checked below.
"""

import json

import pytest

pytestmark = pytest.mark.micropython

SCENARIOS = (
    "scenario_a_reset_the_firmware_asks_for_leaves_the_flag_and_boots_soft",
    "scenario_the_reset_flag_cannot_stop_a_reset",
    "scenario_ble_without_a_bluetooth_module_is_an_oserror",
    "scenario_board_constructs_with_a_working_clock",
    "scenario_fake_clock_matches_hal_clock_arithmetic",
    "scenario_led_strip_wraps_neopixel_in_the_strips_colour_order",
    "scenario_pin_arguments_are_checked_before_anything_is_built",
    "scenario_pins_adc_i2c",
    "scenario_pio_frame_runs_a_pass_on_the_pio_dma_and_adc",
    "scenario_reset_cause_maps_to_wire_codes",
    "scenario_reset_to_repl_sets_the_boot_flag_then_resets",
    "scenario_uart_link_uses_configured_id_baud_pins",
    "scenario_uid_is_hex",
    "scenario_usb_cdc_link_disables_ctrl_c_while_open",
    "scenario_watchdog_and_reset_use_machine",
)


@pytest.fixture(scope="module")
def stdout(micropython):
    return micropython.run("hal_scenarios.py", extra_paths=["/mpy/fake_machine"])


@pytest.fixture(scope="module")
def results(micropython, stdout):
    return micropython.parse(stdout)["results"]


def test_every_scenario_ran(results):
    assert sorted(results) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_hal(results, name):
    assert results[name] is None, results[name]


def test_fake_layer_is_declared(stdout):
    notes = [line for line in stdout.splitlines() if line.startswith("NOTES ")]
    assert len(notes) == 1
    assert "StreamReader" in json.loads(notes[0][len("NOTES ") :])["stream_reader"]
