"""The VL53L1X emulation at the register level (vitrine.sim.vl53l1x) and its optics
(vitrine.sim.tof), on a clock the test moves: boot, identification, the ranging state machine,
data ready and the interrupt, addresses and XSHUT, and the datasheet's limits."""

from __future__ import annotations

import errno

import pytest

from vitrine.sim import vl53l1x as chipmod
from vitrine.sim.people import Person, Room, Stage, World
from vitrine.sim.tof import (
    DEVICE_MIN_CLIP,
    DEVICE_NO_TARGET,
    DEVICE_RANGE_COMPLETE,
    Mount,
    Optics,
    Settings,
    range_limit_m,
)
from vitrine.sim.vl53l1x import Vl53l1x


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def person(y: float, *, kind="adult", height=1.75, radius=0.22, refl=0.6, x=0.0) -> Person:
    return Person(
        id=f"{kind}{y}{x}",
        kind=kind,
        path=((0.0, x, y),),
        height_m=height,
        radius_m=radius,
        nir_reflectance=refl,
        stays=True,
    )


def world(*people: Person, sun: float = 0.0, wall: float | None = None) -> World:
    return World(people=people, room=Room(back_wall_m=wall), sunlight=((0.0, sun),))


def make(w: World | None = None, **kw) -> tuple[Vl53l1x, Clock]:
    clock = Clock()
    optics = Optics(Mount(0.0, 1.1), Stage(w), seed=3, offset_mm=0.0)
    return Vl53l1x(clock, optics, **kw), clock


def write(chip: Vl53l1x, reg: int, *data: int) -> None:
    chip.i2c_write(bytes([reg >> 8, reg & 0xFF, *data]))


def read(chip: Vl53l1x, reg: int, n: int = 1) -> bytes:
    chip.i2c_write(bytes([reg >> 8, reg & 0xFF]))
    return chip.i2c_read(n)


def u16(chip: Vl53l1x, reg: int) -> int:
    return int.from_bytes(read(chip, reg, 2), "big")


def configure(chip: Vl53l1x) -> None:
    """What the ULD's SensorInit writes first: the default configuration."""
    for k, value in enumerate(chipmod.DEFAULT_CONFIGURATION):
        write(chip, 0x2D + k, value)


def test_identification_and_reset_values():
    chip, _ = make()
    assert read(chip, chipmod.IDENTIFICATION__MODEL_ID, 3) == b"\xea\xcc\x10"
    assert u16(chip, chipmod.IDENTIFICATION__MODEL_ID) == 0xEACC
    assert read(chip, chipmod.I2C_SLAVE__DEVICE_ADDRESS) == b"\x29"
    assert read(chip, chipmod.FIRMWARE__SYSTEM_STATUS) == b"\x01"
    assert read(chip, chipmod.SYSTEM__MODE_START) == b"\x00"


def test_xshut_boot_nacks_then_reads_booting_then_booted():
    chip, clock = make(powered=False)
    assert not chip.acks(0x29)
    with pytest.raises(OSError) as info:
        chip.i2c_read(1)
    assert info.value.errno == errno.ENODEV
    chip.xshut(1)
    assert not chip.acks(0x29)  # the first half millisecond
    clock.t += 0.0006
    assert chip.acks(0x29)
    assert read(chip, chipmod.FIRMWARE__SYSTEM_STATUS) == b"\x00"
    clock.t += 0.001
    assert read(chip, chipmod.FIRMWARE__SYSTEM_STATUS) == b"\x01"


def test_a_new_address_holds_until_xshut_and_soft_reset_keeps_it():
    chip, clock = make()
    write(chip, chipmod.I2C_SLAVE__DEVICE_ADDRESS, 0x31)
    assert chip.acks(0x31) and not chip.acks(0x29)
    write(chip, chipmod.SOFT_RESET, 0x00)
    write(chip, chipmod.SOFT_RESET, 0x01)
    clock.t += 0.002
    assert chip.acks(0x31)
    chip.xshut(0)
    assert not chip.acks(0x31)
    chip.xshut(1)
    clock.t += 0.002
    assert chip.acks(0x29) and not chip.acks(0x31)


def test_writes_auto_increment_and_results_are_read_only():
    chip, _ = make()
    write(chip, 0x006C, 0x00, 0x00, 0x12, 0x34)
    assert read(chip, 0x006C, 4) == b"\x00\x00\x12\x34"
    write(chip, chipmod.RESULT__RANGE_STATUS, 0x55)
    assert read(chip, chipmod.RESULT__RANGE_STATUS) == b"\x00"
    write(chip, chipmod.IDENTIFICATION__MODEL_ID, 0x00)
    assert read(chip, chipmod.IDENTIFICATION__MODEL_ID) == b"\xea"


@pytest.mark.parametrize(
    ("word", "budget"),
    [(0x001D, 15), (0x00D6, 33), (0x02E1, 100), (0x001E, 20), (0x00AD, 50), (0x048F, 500)],
)
def test_the_ulds_timing_budget_words_give_their_budgets(word, budget):
    chip, _ = make()
    write(chip, chipmod.RANGE_CONFIG__TIMEOUT_MACROP_A_HI, word >> 8, word & 0xFF)
    assert chip.budget_ms() == budget


def test_other_timeout_words_are_decoded_as_st_api_does():
    chip, _ = make()
    write(chip, chipmod.RANGE_CONFIG__VCSEL_PERIOD_A, 0x0F)
    write(chip, chipmod.RANGE_CONFIG__TIMEOUT_MACROP_A_HI, 0x01, 0x00)  # (0 << 1) + 1? no: 0x100
    mclks = chipmod.decode_timeout(0x0100)
    expected = (2 * mclks * chipmod.macro_period_us(0x0F) + chipmod.TIMING_GUARD_US) / 1000
    assert chip.budget_ms() == pytest.approx(expected)


def test_timed_ranging_raises_the_interrupt_each_period_until_stopped():
    chip, clock = make(world(person(1.0)))
    configure(chip)  # active-high interrupt, long mode, 100 ms budget and period
    assert chip.budget_ms() == 100 and chip.period_ms() == pytest.approx(100, abs=0.5)
    write(chip, chipmod.SYSTEM__MODE_START, 0x40)
    clock.t += 0.099
    assert read(chip, chipmod.GPIO__TIO_HV_STATUS)[0] & 1 == 0
    assert chip.gpio1() == 0
    clock.t += 0.002
    assert read(chip, chipmod.GPIO__TIO_HV_STATUS)[0] & 1 == 1  # data ready (active high)
    assert chip.gpio1() == 1
    result = read(chip, chipmod.RESULT__RANGE_STATUS, 17)
    assert result[0] == 9 and result[2] == 0  # a valid range, the first of the stream
    assert abs(int.from_bytes(result[13:15], "big") - 780) < 30
    write(chip, chipmod.SYSTEM__INTERRUPT_CLEAR, 0x01)
    assert chip.gpio1() == 0
    clock.t += 0.1
    assert chip.gpio1() == 1
    assert read(chip, chipmod.RESULT__RANGE_STATUS, 3)[2] == 1
    write(chip, chipmod.SYSTEM__MODE_START, 0x00)
    write(chip, chipmod.SYSTEM__INTERRUPT_CLEAR, 0x01)
    clock.t += 1.0
    assert chip.gpio1() == 0 and chip.rangings == 2


def test_rangings_go_on_unread_and_the_interrupt_stays_up():
    chip, clock = make(world(person(1.0)))
    configure(chip)
    write(chip, chipmod.SYSTEM__MODE_START, 0x40)
    clock.t += 1.05  # ten periods, nobody reading
    assert chip.gpio1() == 1
    assert chip.rangings == 10
    assert read(chip, chipmod.RESULT__RANGE_STATUS, 3)[2] == 9


def test_active_low_polarity_inverts_the_ready_bit_and_gpio1():
    chip, clock = make(world(person(1.0)))
    configure(chip)
    write(chip, chipmod.GPIO_HV_MUX__CTRL, 0x11)
    write(chip, chipmod.SYSTEM__MODE_START, 0x40)
    assert chip.gpio1() == 1 and read(chip, chipmod.GPIO__TIO_HV_STATUS)[0] & 1 == 1
    clock.t += 0.101
    assert chip.gpio1() == 0 and read(chip, chipmod.GPIO__TIO_HV_STATUS)[0] & 1 == 0


def test_a_single_shot_ranges_once():
    chip, clock = make(world(person(1.0)))
    configure(chip)
    write(chip, chipmod.SYSTEM__MODE_START, 0x10)
    clock.t += 0.5
    assert chip.gpio1() == 1
    assert chip.rangings == 1 and chip.ranging_mode == 0


def test_no_target_and_min_clip():
    chip, clock = make(None)
    configure(chip)
    write(chip, chipmod.SYSTEM__MODE_START, 0x40)
    clock.t += 0.101
    assert read(chip, chipmod.RESULT__RANGE_STATUS)[0] == DEVICE_NO_TARGET
    # a hand on the sensor
    close = Optics(Mount(0.0, 1.1), Stage(world(person(0.24, radius=0.22))), seed=1, offset_mm=0)
    assert close.ranging(0.0, Settings()).device_status == DEVICE_MIN_CLIP


# --- the optics: the datasheet's limits -------------------------------------------------------


def test_the_datasheet_figures_are_the_model():
    assert range_limit_m("long", 0.88, 1.0, 100, 0) == pytest.approx(3.6)
    assert range_limit_m("long", 0.88, 1.0, 100, 200) == pytest.approx(0.73)
    assert range_limit_m("medium", 0.88, 1.0, 100, 200) == pytest.approx(0.76)
    assert range_limit_m("long", 0.17, 1.0, 100, 0) == pytest.approx(1.58, abs=0.01)  # 1.7 m
    assert range_limit_m("long", 0.54, 1.0, 140, 0) > 3.0


def ranged(w: World, mode="long", budget=33.0, mount: Mount | None = None) -> list[int]:
    mount = mount or Mount(0.0, 1.1)
    optics = Optics(mount, Stage(w), seed=5, offset_mm=0.0)
    return [optics.ranging(t * 0.04, Settings(mode=mode, budget_ms=budget)).device_status
            for t in range(40)]  # fmt: skip


def test_sunlight_shortens_long_mode_to_under_a_metre():
    at = world(person(1.4, refl=0.8))
    assert ranged(at).count(DEVICE_RANGE_COMPLETE) == 40
    sunny = world(person(1.4, refl=0.8), sun=1.0)
    assert ranged(sunny).count(DEVICE_RANGE_COMPLETE) == 0
    near_sunny = world(person(0.7, refl=0.8), sun=1.0)
    assert ranged(near_sunny, budget=100).count(DEVICE_RANGE_COMPLETE) >= 35


def test_a_bag_on_the_floor_is_below_the_view_and_a_child_is_not():
    assert (
        ranged(world(person(0.8, kind="bag", height=0.45, radius=0.2))) == [DEVICE_NO_TARGET] * 40
    )
    assert ranged(world(person(0.9, kind="child", height=1.1, radius=0.15))).count(9) == 40


def test_someone_beside_the_view_is_not_seen():
    assert ranged(world(person(1.0, x=0.9))) == [DEVICE_NO_TARGET] * 40
    # a sensor turned toward them sees them
    turned = Mount(0.3, 1.1, yaw_deg=35.0)
    assert ranged(world(person(1.0, x=0.9)), mount=turned).count(9) == 40


def test_the_noise_grows_toward_the_limit():
    def spread(y):
        optics = Optics(Mount(), Stage(world(person(y, refl=0.5))), seed=9, offset_mm=0.0)
        got = [optics.ranging(t, Settings(budget_ms=33)).distance_mm for t in range(200)]
        mean = sum(got) / len(got)
        return (sum((g - mean) ** 2 for g in got) / len(got)) ** 0.5

    assert spread(0.6) < 5 < spread(1.3)
