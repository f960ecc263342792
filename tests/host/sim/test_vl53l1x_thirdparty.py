"""The VL53L1X emulation (vitrine.sim.vl53l1x) checked by someone else's driver: Adafruit's
CircuitPython VL53L1X driver (PyPI adafruit-circuitpython-vl53l1x, pinned in
tools/thirdparty-drivers.txt; `make setup` installs it without its CPython board layer) talks
to the emulated chip through a fake busio.I2C bound to the simulator's I2C bus, and must read
plausible distances from it, refuse a chip of another kind, and move one to a new address.

The driver waits with time.sleep and the chip keeps the machine's monotonic time, as a board
would: each test takes a few hundred milliseconds of real rangings."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import pytest

from vitrine.sim.board import SimI2C
from vitrine.sim.people import Person, Room, Stage, World
from vitrine.sim.tof import Mount, Optics
from vitrine.sim.vl53l1x import Vl53l1x

DRIVERS = Path(sys.prefix) / "thirdparty-drivers"
# A plausible reading, in the driver's centimetres: the datasheet's ranging error (+/-25 mm in
# ambient light) and a body's curve (the view is wider than a torso beyond a metre) from the
# front of the body.
PLAUSIBLE_CM = 5.0


@pytest.fixture(scope="module")
def adafruit_vl53l1x():
    if not (DRIVERS / "adafruit_vl53l1x.py").exists():
        pytest.skip(f"{DRIVERS} lacks Adafruit's VL53L1X driver (make setup installs it)")
    # What CircuitPython gives its drivers and CPython lacks, only while they are imported:
    # `const` (the firmware's own CPython shim is the same), busio.I2C (this file's fake; the
    # bus device library names it in its annotations) and circuitpython_typing's buffer types.
    shims = {
        "micropython": {"const": lambda x: x},
        "busio": {"I2C": BusioI2C},
        "circuitpython_typing": {"ReadableBuffer": bytes, "WriteableBuffer": bytearray},
    }
    saved = {name: sys.modules.get(name) for name in shims}
    for name, members in shims.items():
        module = types.ModuleType(name)
        module.__dict__.update(members)
        sys.modules[name] = module
    sys.path.insert(0, str(DRIVERS))
    try:
        import adafruit_vl53l1x

        yield adafruit_vl53l1x
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        sys.path.remove(str(DRIVERS))
        sys.modules.pop("adafruit_vl53l1x", None)


class Bus:
    """What a SimBoard's I2C bus needs of its board."""

    def __init__(self, *chips: Vl53l1x) -> None:
        self.i2c_devices = {0: list(chips)}
        self.i2c_stuck: set[int] = set()


class BusioI2C:
    """CircuitPython's busio.I2C, as adafruit_bus_device calls it, over the simulator's bus."""

    def __init__(self, bus: SimI2C) -> None:
        self.bus = bus
        self.locked = False

    def try_lock(self) -> bool:
        if self.locked:
            return False
        self.locked = True
        return True

    def unlock(self) -> None:
        self.locked = False

    def scan(self) -> list[int]:
        return self.bus.scan()

    def writeto(self, address, buffer, *, start=0, end=None):
        self.bus.writeto(address, bytes(buffer[start:end]))

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        end = len(buffer) if end is None else end
        data = self.bus.readfrom(address, end - start)
        buffer[start:end] = data

    def writeto_then_readfrom(
        self, address, out_buffer, in_buffer, *, out_start=0, out_end=None, in_start=0, in_end=None
    ):
        self.writeto(address, out_buffer, start=out_start, end=out_end)
        self.readfrom_into(address, in_buffer, start=in_start, end=in_end)


def standing(y_m: float, reflectance: float = 0.6) -> World:
    """Someone standing still (no sway) y_m from the glass, in front of the sensor."""
    person = Person(
        id="p",
        kind="adult",
        path=((0.0, 0.0, y_m),),
        height_m=1.75,
        radius_m=0.22,
        nir_reflectance=reflectance,
        stays=True,
    )
    return World(people=(person,), room=Room(back_wall_m=None))


def chip(world: World | None, **kw) -> Vl53l1x:
    optics = Optics(Mount(0.0, 1.1), Stage(world), seed=7, offset_mm=0.0)
    return Vl53l1x(time.monotonic, optics, **kw)


def i2c_for(*chips: Vl53l1x) -> BusioI2C:
    return BusioI2C(SimI2C(0, Bus(*chips)))  # type: ignore[arg-type]


def readings(sensor, count: int, timeout_s: float = 5.0) -> list[float | None]:
    out: list[float | None] = []
    sensor.start_ranging()
    deadline = time.monotonic() + timeout_s
    while len(out) < count and time.monotonic() < deadline:
        if sensor.data_ready:
            out.append(sensor.distance)
            sensor.clear_interrupt()
        else:
            time.sleep(0.005)
    sensor.stop_ranging()
    return out


def test_the_driver_reads_plausible_distances_in_long_mode(adafruit_vl53l1x):
    # someone 1.2 m from the glass: the front of their body (radius 0.22 m) is 0.98 m away
    sensor = adafruit_vl53l1x.VL53L1X(i2c_for(chip(standing(1.2))))
    assert sensor.model_info == (0xEA, 0xCC, 0x10)
    assert sensor.distance_mode == 2  # the ULD's default configuration: long
    sensor.timing_budget = 50
    got = readings(sensor, 6)
    assert len(got) == 6
    valid = [d for d in got if d is not None]
    assert len(valid) >= 5, got
    assert all(abs(d - 98.0) < PLAUSIBLE_CM for d in valid), got


def test_the_driver_reads_a_near_target_in_short_mode(adafruit_vl53l1x):
    sensor = adafruit_vl53l1x.VL53L1X(i2c_for(chip(standing(0.6))))
    sensor.distance_mode = 1
    assert sensor.distance_mode == 1
    sensor.timing_budget = 20
    valid = [d for d in readings(sensor, 6) if d is not None]
    assert len(valid) >= 5 and all(abs(d - 38.0) < PLAUSIBLE_CM for d in valid), valid


def test_beyond_the_short_mode_window_there_is_no_valid_distance(adafruit_vl53l1x):
    # a white target 2.5 m away: short mode's phase window ends at 1.36 m, so the chip says
    # wrap-around (or nothing) and the driver returns None
    sensor = adafruit_vl53l1x.VL53L1X(i2c_for(chip(standing(2.5, reflectance=0.88))))
    sensor.distance_mode = 1
    sensor.timing_budget = 50
    assert readings(sensor, 4) == [None] * 4


def test_nothing_in_front_reads_no_distance(adafruit_vl53l1x):
    sensor = adafruit_vl53l1x.VL53L1X(i2c_for(chip(None)))
    sensor.timing_budget = 33
    assert readings(sensor, 3) == [None] * 3


def test_a_chip_of_another_kind_is_refused(adafruit_vl53l1x):
    with pytest.raises(RuntimeError, match="Wrong sensor ID"):
        adafruit_vl53l1x.VL53L1X(i2c_for(chip(None, model_id=0xEB)))


def test_two_chips_share_the_bus_once_one_has_moved(adafruit_vl53l1x):
    near, far = chip(standing(0.8)), chip(standing(1.6))
    i2c = i2c_for(near, far)
    far.xshut(0)  # held in reset while the other moves
    moved = adafruit_vl53l1x.VL53L1X(i2c)
    moved.set_address(0x30)
    far.xshut(1)
    time.sleep(0.002)  # tBOOT
    assert sorted(i2c.scan()) == [0x29, 0x30]
    other = adafruit_vl53l1x.VL53L1X(i2c)
    a = [d for d in readings(moved, 3) if d is not None]
    b = [d for d in readings(other, 3) if d is not None]
    assert a and all(abs(d - 58.0) < PLAUSIBLE_CM for d in a), a
    assert b and all(abs(d - 138.0) < PLAUSIBLE_CM for d in b), b
