"""`vitrine bench sense`: noticing the shopper and lighting them, in numbers.

Every figure's ground truth is the simulated world of people (vitrine.sim.people, scenarios from
vitrine.sim.crowds, fixed seeds), never a sensor's output: the sensors (the emulated VL53L1X
chips and the HC-SR501 PIR) observe the world in their own physics, the presence board's real
firmware reads them, and the host's fusion decides.

- crossing latency, end to end: a `vitrine sim` process with the presence board (its firmware on
  the pseudo-terminal) and the daemon in this process; a person walks straight at the mirror
  across the 1.5 m line; the time from the world's crossing to the daemon's Zone event beyond
  it (in front, or at the glass), both on the machine's monotonic clock.
- crossing latency, replayed: many more crossings through the same firmware and fusion on a
  virtual clock (vitrine.sim.presence_replay), for the tail.
- an empty hour: nobody comes to the mirror; a bag on the floor in front of it, sunlight coming
  and going, warm draughts, people down the shop and beside the mirror; any Presence event, or a
  Zone other than none, is false.
- zones on a walk-by set: passers-by, groups, children, short stops; the host's zone against
  the world's zone every 100 ms; the share of the time it is right, and the confusion matrix
  (seconds, truth by rows). The fusion's settings were chosen on other walk-by seeds
  (TUNING_SEEDS, measured too: zone_tuning_seeds); the bench's own are held out.
- the camera: the replays above run with the mirror's camera fused (its reports made from the
  world's bodies by vitrine.bench.camera_witness, with the real person detector's figures
  measured on the synthetic scene in this run when the models are installed); the zones are
  also given without the camera (the presence board alone) and with the camera alone (no
  presence board).
- lighting, end to end: a virtual lights board and the daemon; the Lights facade sets a scene;
  the time from the command until the simulated strips start to change (the meter's own
  observation of the latched frames and PWM duties, not the board's word).
- lighting, fades: the lighting firmware in this process on a virtual clock, with the simulated
  strips and the meter attached: every fade between the default scenes and up and down in
  brightness, each strip's light checked to move one way only, and the current never above
  the budget at any latched frame (see _FadeCheck for what monotone means on a dithered strip).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vitrine.bench.camera_witness import (
    LATENCY_S,
    MEASURED,
    PRESENCE_HZ,
    CameraWitness,
    DetectorModel,
    measure_detector,
)
from vitrine.bench.targets import judged, percentile
from vitrine.devices.presence.config import PresenceConfig
from vitrine.devices.presence.events import ZONES, Presence, Zone
from vitrine.hardware import BoardDescription, board_config, load_boards
from vitrine.sim import crowds
from vitrine.sim.people import World, ZoneGeometry
from vitrine.sim.presence_replay import Replay, ReplayOptions, crossing_latencies
from vitrine.tasks import stop_task

TARGETS = {
    "crossing_p99_ms": ("<=", 150.0),
    "crossing_replay_p99_ms": ("<=", 150.0),
    "empty_hour_false_events": ("==", 0),
    "zone_accuracy": (">=", 0.97),
    "light_fade_start_max_ms": ("<=", 50.0),
    "light_fades_not_monotone": ("==", 0),
    "light_frames_over_budget": ("==", 0),
}
# The walk-by sets: five, so that the zones' figure is not one set's luck (on a single set the
# fused accuracy ranged 96.1-97.9% over these seeds, pooled 97.2%, 2026-12-05).
SEEDS = {"walk_by": (5, 6, 7, 8, 9), "crossings": 11, "empty_hour": 1, "e2e": 3}
# The fusion's settings that the walk-by sets could tune (the camera's hold, the margin of a
# sensor's cone the camera's bearing is matched in, the trend's lead) were chosen on these
# walk-by seeds; the bench's own (SEEDS["walk_by"]) are held out. Both are measured.
TUNING_SEEDS = (20, 21, 22, 23, 24)
SAMPLE_S = 0.1  # the zone's truth and the host's zone compared this often
NEAR = ("in_front", "at_glass")


def run_sense_bench(progress: Callable[[str], None], quick: bool = False) -> dict[str, Any]:
    """Every figure (see the module docstring); `quick`: smaller sets (for a smoke test)."""
    t0 = time.monotonic()
    description = load_boards()["presence"]
    presence = PresenceConfig()
    result: dict[str, Any] = {"bench": "sense", "quick": quick}
    result["world"] = world_parameters(description, presence)

    trials = 6 if quick else 40
    progress(f"crossings end to end, {trials} people through the sensors and the daemon")
    lights_trials = 8 if quick else 40
    result.update(asyncio.run(_e2e(trials, lights_trials, progress)))

    count = 30 if quick else 200

    progress("the camera: the person detector on the synthetic scene")
    model = camera_model(quick, progress)
    result["camera"] = CameraWitness(World(), model).assumptions()

    hour = 600.0 if quick else 3600.0
    progress(f"an empty {hour / 60:.0f} minutes replayed, the camera fused")
    result.update(measure_empty(SEEDS["empty_hour"], hour, model))

    walkers = 15 if quick else 60
    progress(f"zones on a walk-by set of {walkers} scenes replayed: the board alone")
    alone = measure_zones(SEEDS["walk_by"], walkers)
    progress("confusion matrix (s; rows: truth, columns: the host's zone):\n" + _table(alone))
    progress("... the camera alone (no presence board)")
    camera_only = measure_zones(SEEDS["walk_by"], walkers, model, tof=False)
    progress("confusion matrix:\n" + _table(camera_only))
    progress("... the board and the camera fused")
    result.update(measure_zones(SEEDS["walk_by"], walkers, model))
    progress("confusion matrix:\n" + _table(result))
    result["zone_seeds_held_out"] = list(SEEDS["walk_by"])
    progress(f"... the same on the walk-by seeds the settings were chosen on, {TUNING_SEEDS}")
    tuning = measure_zones(TUNING_SEEDS[:1] if quick else TUNING_SEEDS, walkers, model)
    result["zone_tuning_seeds"] = {k: v for k, v in tuning.items() if k.startswith("zone_")}
    result["without_camera"] = {
        "crossing_replay": measure_crossings(SEEDS["crossings"], count),
        **{k: v for k, v in alone.items() if k.startswith("zone_")},
    }
    result["camera_only"] = {k: v for k, v in camera_only.items() if k.startswith("zone_")}

    progress(f"crossings replayed, {count} people, the camera fused")
    result.update(measure_crossings(SEEDS["crossings"], count, model))

    progress("fades on the simulated strips")
    result.update(measure_fades(quick))
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    result.update(judged(result, TARGETS))
    return result


def world_parameters(description: BoardDescription, presence: PresenceConfig) -> dict[str, Any]:
    """What the figures were measured in: the people, the room, the sensors and the host."""
    from vitrine.sim import pir, tof

    prox = description.proximity
    assert prox is not None
    geometry = ZoneGeometry()
    return {
        "seeds": dict(SEEDS),
        "tuning_seeds": {
            "walk_by": list(TUNING_SEEDS),
            "note": "the fusion's settings were chosen on these walk-by seeds; the bench's "
            "walk_by seeds are held out (zone_accuracy is measured on them)",
        },
        "people": {
            "walking_m_s": list(crowds.WALK_M_S),
            "walk_by_distance_m": list(crowds.WALK_BY_DISTANCE_M),
            "stop_distance_m": list(crowds.STOP_DISTANCE_M),
            "nir_reflectance": list(crowds.REFLECTANCE),
            "crossing": "straight at the mirror from 3 m, x within 0.3 m of its centre, "
            "stopping at 0.5-1.0 m",
        },
        "zones_truth": {
            "by": "where a warm body stands (its centre), in front of the mirror's width",
            "at_glass_m": geometry.at_glass_m,
            "in_front_m": geometry.in_front_m,
            "passing_m": geometry.passing_m,
            "half_width_m": geometry.half_width_m,
        },
        "tof": {
            "sensors": [
                {"name": t.name, "x_mm": t.x_mm, "yaw_deg": t.yaw_deg, "height_mm": t.height_mm}
                for t in description.tof
            ],
            "distance_mode": prox.distance_mode,
            "timing_budget_ms": prox.timing_budget_ms,
            "period_ms": prox.period_ms,
            "median": prox.median,
            "fov_deg": tof.FOV_DEG,
            "indoor_ambient_kcps": tof.INDOOR_AMBIENT_KCPS,
            "sunlight_ambient_kcps_at_full": tof.STRONG_AMBIENT_KCPS,
        },
        "pir": {
            "model": "HC-SR501",
            "cone_deg": pir.CONE_DEG,
            "range_m": pir.RANGE_M,
            "delay_s": pir.DELAY_S,
            "lock_s": pir.LOCK_S,
            "warmup_s": prox.pir.warmup_s if prox.pir else None,
        },
        "host": presence.model_dump(),
    }


# --- replays ----------------------------------------------------------------------------------


def camera_model(quick: bool, progress: Callable[[str], None]) -> DetectorModel:
    """The person detector's figures: measured now on the synthetic scene when the shared
    models are here, else the recorded ones (camera_witness.MEASURED)."""
    from vitrine.vision.models import ModelError

    try:
        return measure_detector(scenes=8 if quick else 60, every_s=0.2, progress=progress)
    except (ModelError, ImportError) as err:
        progress(f"the person detector is not here ({err}); its recorded figures are used")
        return MEASURED


def _options(world: World, model: DetectorModel | None, seed: int, **kw: Any) -> ReplayOptions:
    if model is None:
        return ReplayOptions(**kw)
    witness = CameraWitness(world, model, seed=seed)
    return ReplayOptions(
        camera=witness.report, camera_hz=PRESENCE_HZ, camera_latency_s=LATENCY_S, **kw
    )


def measure_crossings(seed: int, count: int, camera: DetectorModel | None = None) -> dict[str, Any]:
    """Crossing to Zone event on the virtual clock, over `count` people (the camera fused
    when its detector's figures are given)."""
    world = crowds.crossing_set(seed, count)
    replay = Replay(world, _options(world, camera, seed, pir_warmup_s=0))
    replay.run_until(world.duration_s)
    found = crossing_latencies(replay, world)
    ms = [c["latency_s"] * 1000 for c in found if not math.isnan(c["latency_s"])]
    missed = len(found) - len(ms)
    if not ms:
        return {"crossing_replay_p99_ms": math.inf, "crossing_replay_missed": missed}
    return {
        "crossing_replay_crossings": len(found),
        "crossing_replay_missed": missed,
        "crossing_replay_p50_ms": round(statistics.median(ms), 1),
        "crossing_replay_p90_ms": round(percentile(ms, 0.90), 1),
        "crossing_replay_p99_ms": round(percentile(ms, 0.99), 1) if not missed else math.inf,
        "crossing_replay_max_ms": round(max(ms), 1),
    }


def measure_empty(
    seed: int, duration_s: float, camera: DetectorModel | None = None
) -> dict[str, Any]:
    """False presence in an empty hour (or part of one); the camera fused when given."""
    world = crowds.empty_hour(seed, duration_s)
    replay = Replay(world, _options(world, camera, seed))  # the PIR's warm-up: it fires falsely
    replay.run_until(world.duration_s)
    presence = [d for d in replay.decisions if isinstance(d.event, Presence)]
    zones = [d for d in replay.decisions if isinstance(d.event, Zone) and d.event.zone != "none"]
    truth = Counter(world.zone(t * SAMPLE_S) for t in range(int(duration_s / SAMPLE_S)))
    bag = next((p for p in world.people if p.kind == "bag"), None)
    sun = [level for _t, level in world.sunlight]
    return {
        "empty_hour_s": duration_s,
        "empty_hour_false_events": len(presence) + len(zones),
        "empty_hour_false_presence": len(presence),
        "empty_hour_false_zones": len(zones),
        "empty_hour_truth_not_none_s": round(
            sum(n for z, n in truth.items() if z != "none") * SAMPLE_S, 1
        ),
        "empty_hour_pir_triggers": replay.parts.pir.triggers,
        "empty_hour_rangings": sum(c.rangings for c in replay.parts.chips),
        "empty_hour_scene": {
            "bag_on_floor_s": round(bag.end_s - bag.start_s) if bag else 0,
            "bag_at_m": list(bag.path[0][1:]) if bag else None,
            "passers_outside_view": sum(1 for p in world.people if p.kind == "adult"),
            "draughts": len(world.heat),
            "sunlight_levels": sorted(set(sun)),
        },
    }


def measure_zones(
    seeds: Sequence[int], count: int, camera: DetectorModel | None = None, tof: bool = True
) -> dict[str, Any]:
    """The host's zone against the world's every SAMPLE_S over a walk-by set of `count`
    scenes for each seed (each replayed on its own, their samples pooled); the camera fused
    when given; tof=False: no presence board."""
    matrix: Counter[tuple[str, str]] = Counter()
    per_seed: dict[str, float] = {}
    duration_s = 0.0
    kinds: Counter[str] = Counter()
    for seed in seeds:
        world = crowds.walk_by_set(seed, count)
        replay = Replay(world, _options(world, camera, seed, pir_warmup_s=0, tof=tof))
        own: Counter[tuple[str, str]] = Counter()
        for sample in replay.samples(0.0, world.duration_s, SAMPLE_S):
            own[(sample.truth, sample.zone)] += 1
        matrix += own
        per_seed[str(seed)] = round(
            sum(n for (a, b), n in own.items() if a == b) / sum(own.values()), 4
        )
        duration_s += world.duration_s
        kinds += Counter(p.kind for p in world.people)
    total = sum(matrix.values())
    right = sum(n for (a, b), n in matrix.items() if a == b)
    occupied = sum(n for (a, _b), n in matrix.items() if a != "none")
    occupied_right = sum(n for (a, b), n in matrix.items() if a == b != "none")
    return {
        "zone_accuracy": round(right / total, 4),
        "zone_accuracy_by_seed": per_seed,
        "zone_accuracy_someone_there": round(occupied_right / occupied, 4) if occupied else None,
        "zone_set_s": round(duration_s, 1),
        "zone_set_people": dict(kinds),
        "zone_confusion_s": {
            truth: {zone: round(matrix[(truth, zone)] * SAMPLE_S, 1) for zone in ZONES}
            for truth in ZONES
        },
    }


def _table(result: dict[str, Any]) -> str:
    matrix = result["zone_confusion_s"]
    lines = [f"{'':>10}" + "".join(f"{z:>10}" for z in ZONES)]
    for truth in ZONES:
        lines.append(f"{truth:>10}" + "".join(f"{matrix[truth][z]:>10.1f}" for z in ZONES))
    return "\n".join(lines)


# --- end to end -------------------------------------------------------------------------------


async def _e2e(trials: int, light_trials: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """One `vitrine sim` process with the presence and lights boards; a daemon for each."""
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        state = Path(tmp)
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
            [
                *(sys.executable, "-m", "vitrine", "sim"),
                *("--role", "presence", "--role", "lights", "--state-dir", tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 20
            while not (state / "boards.json").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"vitrine sim did not start: {err}")
                await asyncio.sleep(0.05)
            ports = json.loads((state / "boards.json").read_text())
            result = await _crossings_e2e(state, ports["presence"], trials, progress)
            progress(f"lighting end to end, {light_trials} scenes")
            result.update(await _lights_e2e(state, ports["lights"], light_trials))
            return result
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.asynccontextmanager
async def _daemon(state: Path, role: str, url: str) -> Any:
    from vitrine.config import parse_config
    from vitrine.daemon import Daemon

    data = state / f"data-{role}"
    config = parse_config(
        f'[http]\nport = 0\n[boards]\ndiscover_usb = false\nports = {{ {role} = "{url}" }}\n'
        f"[data]\ndir = {json.dumps(str(data))}\n"
    )
    daemon = Daemon(config)
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(20):
            await daemon.ready.wait()
            while url not in daemon.boards.links:  # noqa: ASYNC110 - the daemon adds it soon
                await asyncio.sleep(0.01)
            await daemon.boards.links[url].wait_up(20)
        yield daemon
    finally:
        await stop_task(task)


async def _crossings_e2e(
    state: Path, url: str, trials: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """People walking across the 1.5 m line in the simulation; the daemon's Zone events."""
    from vitrine.sim.control import request

    rng = random.Random(SEEDS["e2e"])
    latencies: list[float] = []
    missed = 0
    async with _daemon(state, "presence", url) as daemon:
        with daemon.bus.subscribe(Zone) as zones:
            for k in range(trials):
                person = crowds.approach_across(f"x{k}", rng, 0.3, stay_s=1.0)
                world = World(people=(person,), duration_s=person.end_s + 1.0)
                crossing = next(c for c in world.crossings(1.5) if c.direction == "in")
                zones.drain()
                reply = await request(state, {"op": "world", "world": world.to_json()})
                at = reply["monotonic_at"] + crossing.t_s
                seen = None
                end = time.monotonic() + person.end_s + 1.0
                while time.monotonic() < end:
                    try:
                        event = await zones.get(max(0.01, end - time.monotonic()))
                    except TimeoutError:
                        break
                    if seen is None and event.zone in NEAR and event.t_ns / 1e9 >= at - 0.5:
                        seen = event.t_ns / 1e9 - at
                if seen is None:
                    missed += 1
                else:
                    latencies.append(seen * 1000)
                await request(state, {"op": "world", "world": World(duration_s=0.0).to_json()})
                await _zone_none(daemon, zones)
                if k % 10 == 0:
                    progress(f"crossings end to end: {k}/{trials}")
    if not latencies:
        return {"crossing_p99_ms": math.inf, "crossing_missed": missed}
    return {
        "crossing_trials": trials,
        "crossing_missed": missed,
        "crossing_p50_ms": round(statistics.median(latencies), 1),
        "crossing_p99_ms": round(percentile(latencies, 0.99), 1) if not missed else math.inf,
        "crossing_max_ms": round(max(latencies), 1),
    }


async def _zone_none(daemon: Any, zones: Any) -> None:
    """Wait (5 s at most) until the daemon's zone is none again."""
    deadline = time.monotonic() + 5
    while daemon.presence.fusion.zone != "none" and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            await zones.get(0.1)
    zones.drain()


async def _lights_e2e(state: Path, url: str, trials: int) -> dict[str, Any]:
    """Scene commands through the Lights facade; when the simulated strips start to change."""
    from vitrine.devices.lights import DEFAULT_SCENES
    from vitrine.sim.control import request

    names = list(DEFAULT_SCENES)
    latencies: list[float] = []
    acks: list[float] = []
    failed = 0
    async with _daemon(state, "lights", url) as daemon:
        await asyncio.sleep(2.0)  # whatever the daemon set at start has faded
        first = names.index(daemon.lights.last.scene) + 1 if daemon.lights.last else 0
        for k in range(first, first + trials):  # each scene another than the one before
            scene = names[k % len(names)]
            t0 = time.monotonic()
            outcome = await daemon.lights.set_scene(scene, fade_ms=300)
            acks.append((time.monotonic() - t0) * 1000)
            await asyncio.sleep(0.45)  # the fade, and a quiet light before the next
            reply = await request(state, {"op": "status"})
            board = next(b for b in reply["boards"] if b["role"] == "lights")
            started = board["meter"]["started_t"]
            if outcome.status != "applied" or started is None or started < t0:
                failed += 1
                continue
            latencies.append((started - t0) * 1000)
        meter = board["meter"]
    if not latencies:
        return {"light_fade_start_max_ms": math.inf, "light_commands_not_seen": failed}
    return {
        "light_commands": trials,
        "light_commands_not_seen": failed,
        "light_fade_start_p50_ms": round(statistics.median(latencies), 1),
        "light_fade_start_max_ms": round(max(latencies), 1) if not failed else math.inf,
        "light_ack_p50_ms": round(statistics.median(acks), 1),
        "light_ack_max_ms": round(max(acks), 1),
        "light_e2e_max_ma": meter["max_ma"],
        "light_e2e_frames_over_budget": meter["over_budget"],
    }


# --- fades on the simulated strips ------------------------------------------------------------


SMALL_SUPPLY_MA = 3000  # the fades again on a smaller supply, where bright scenes are limited


def measure_fades(quick: bool) -> dict[str, Any]:
    """Every fade between the default scenes (both ways), brightness ramps at each scene's
    colour, and LIGHT_SET's full white, through the lighting firmware on a virtual clock with
    the simulated strips: on the board description's supply and on a smaller one."""
    from vitrine.devices.lights import DEFAULT_SCENES

    scenes = list(DEFAULT_SCENES.items())
    fades: list[tuple[str, tuple[int, ...], int]] = []  # label, scene or raw channels, ms
    for a, sa in scenes:
        for b, sb in scenes:
            if a != b:
                fades.append((a, (sa.kelvin, sa.brightness, sa.amber), 0))
                fades.append((f"{a} -> {b}", (sb.kelvin, sb.brightness, sb.amber), 1000))
    for name, s in scenes[: 2 if quick else len(scenes)]:
        fades.append((f"{name} dark", (s.kelvin, 0, s.amber), 0))
        fades.append((f"{name} 0 -> 255", (s.kelvin, 255, s.amber), 4000))
        fades.append((f"{name} 255 -> 0", (s.kelvin, 0, s.amber), 4000))
        fades.append((f"{name} at 10", (s.kelvin, 10, s.amber), 0))
        fades.append((f"{name} 10 -> 40", (s.kelvin, 40, s.amber), 6000))
    fades.append(("dark", (0, 0, 0, 0, 0), 0))
    fades.append(("LIGHT_SET full white up", (255, 255, 255, 255, 255), 2000))
    fades.append(("LIGHT_SET full white down", (0, 0, 0, 0, 0), 2000))
    result: dict[str, Any] = {}
    budgets: dict[str, Any] = {}
    bad: list[dict[str, Any]] = []
    worst = {"luminance_levels": 0.0, "cct_k": 0.0}
    checked = frames = over = 0
    for supply in (None, SMALL_SUPPLY_MA):
        rig = _LightsRig(supply)
        for label, target, ms in fades:
            series = rig.fade(target, ms)
            if ms == 0:
                continue
            checked += 1
            for strip, out in series.items():
                check = _FadeCheck(rig.specs[strip], out)
                worst["luminance_levels"] = max(worst["luminance_levels"], check.back_luminance)
                worst["cct_k"] = max(worst["cct_k"], check.back_cct)
                if not check.monotone:
                    bad.append({"fade": label, "supply_ma": rig.supply_ma, "strip": strip})
                    bad[-1].update(check.report())
        meter = rig.meter
        frames += meter.latches
        over += meter.over
        budgets[str(rig.supply_ma)] = {
            "budget_ma": meter.budget_ma,
            "max_ma": round(meter.max_ma, 1),
            "frames_over_budget": meter.over,
        }
    result.update(
        {
            "light_fades": checked,
            "light_fades_not_monotone": len({(b["fade"], b["supply_ma"]) for b in bad}),
            "light_fades_not_monotone_detail": bad[:10],
            "light_fade_worst_reverse": {k: round(v, 2) for k, v in worst.items()},
            "light_frames": frames,
            "light_frames_over_budget": over,
            "light_supplies": budgets,
            "light_full_white_ma": rig.full_ma,
            "light_steps_per_s": 1000 // rig.step_ms,
        }
    )
    return result


class _LightsRig:
    """The lights board's firmware on a virtual clock, its strips simulated and metered."""

    def __init__(self, supply_ma: int | None = None) -> None:
        from vitrine.sim.board import SimLedStrip, SimPWM
        from vitrine.sim.lighting import attach_meter
        from vitrine.sim.presence_replay import IDENTITY, Port, VirtualClock
        from vitrine_fw import config as fw_config
        from vitrine_fw import lights, seam
        from vitrine_fw.link import Link

        description = load_boards()["lights"]
        assert description.lighting is not None
        if supply_ma is not None:
            lighting = description.lighting.model_copy(update={"supply_ma": supply_ma})
            description = description.model_copy(update={"lighting": lighting})
        self.supply_ma = description.lighting.supply_ma
        cfg = fw_config.check(board_config(description, "bench"), "bench lights board")
        clock = VirtualClock(0)

        class Board(seam.BaseBoard):
            def led_strip(self, pin: int, count: int, order: str = "GRB") -> SimLedStrip:
                return SimLedStrip(pin, count, order)

            def pwm(self, pin: int, freq_hz: int) -> SimPWM:
                return SimPWM(pin, freq_hz)

        board = Board(clock)
        meter = attach_meter(board, cfg, clock=clock.seconds)
        assert meter is not None
        self.meter = meter
        self.clock = clock
        self.port = Port()
        link = Link(self.port, clock, {**IDENTITY, "role": "lights", "capabilities": 0})
        link.host_up = True
        link.log = lambda level, subsystem, text: None  # type: ignore[method-assign]
        self.lights = lights.Lights(board, cfg, link)
        self.lights.begin()
        self.step_ms = lights.STEP_MS
        self.specs = cfg["strips"]
        self.full_ma = sum(
            s["pixels"] * s["led_ma"] if s.get("kind") != "cct" else s["leds"] * s["led_ma"]
            for s in self.specs
        )

    def fade(self, target: tuple[int, ...], ms: int) -> dict[int, list[Any]]:
        """Start a fade (to a scene: kelvin, brightness, amber; or LIGHT_SET's r, g, b, w,
        brightness) and step it to its end and a little after: every strip's latched output
        at every step, by strip index."""
        frames: dict[int, list[Any]] = {i: [self._output(i)] for i in range(len(self.specs))}
        if len(target) == 3:  # noqa: PLR2004 - a scene
            self.lights.start_scene(*target, ms)
        else:
            self.lights.start(*target, ms)
        steps = ms // self.step_ms + 10
        for _ in range(steps):
            self.clock.t_ns += self.step_ms * 1_000_000
            self.lights.tick()
            for i, series in frames.items():
                series.append(self._output(i))
        return frames

    def _output(self, index: int) -> tuple[int, ...]:
        strip = self.lights.strips[index]
        if self.specs[index].get("kind") == "cct":
            return (strip.warm.duty_u16(), strip.cool.duty_u16())
        return tuple(strip.driver.shown[0])


class _FadeCheck:
    """Whether one strip's light moved one way through a fade, judged on what it latched.

    The light's luminance Y and its correlated colour temperature (McCamy's formula, from the
    chromaticity) are computed from the channels with the LEDs' colours: the RGB LEDs as the
    sRGB primaries, the white LED and the two whites of a warm/cool strip as black bodies at
    their rated temperatures (Kim et al.'s cubic-spline fit of the Planckian locus; the
    firmware uses Krystek's approximation: the two are independent). Each must move only from
    its value at the fade's start toward its value at the end. No output shows the light asked
    for exactly: an addressable strip's latched bytes are each within one level of it (the
    dither carries the rest to the next frames), a PWM strip's 16-bit duties within one count
    of it (rounded); so a frame counts as going back only when no values within that one step
    of its channels would make the fade monotone.
    """

    def __init__(self, spec: dict[str, Any], series: list[tuple[int, ...]]) -> None:
        cct = spec.get("kind") == "cct"
        if cct:
            warm = _planck_xyz(spec["warm_k"])
            cool = _planck_xyz(spec["cool_k"])
            primaries = [warm, cool]
            full = 65535
        else:
            primaries = [_SRGB[0], _SRGB[1], _SRGB[2]]
            if len(series[0]) == 4:  # noqa: PLR2004 - RGBW
                primaries.append(_white_led(spec.get("white_k", 4500)))
            full = 255
        self.primaries = primaries
        self.full = full
        lum: list[tuple[float, float]] = []
        temp: list[tuple[float, float] | None] = []
        for out in series:
            corners = _corners(out, full)
            ys = [self._xyz(c)[1] for c in corners]
            lum.append((min(ys), max(ys)))
            cs = [_mccamy(self._xyz(c)) for c in corners]
            known = [c for c in cs if c is not None]
            temp.append((min(known), max(known)) if len(known) == len(cs) else None)
        # in levels: 1/255 of the whole strip's luminance at full
        self.back_luminance = _back(lum) * 255 / sum(p[1] for p in primaries)
        self.back_cct = _back([t for t in temp if t is not None])
        self.back_luminance = 0.0 if self.back_luminance < _EPSILON else self.back_luminance
        self.back_cct = 0.0 if self.back_cct < _EPSILON else self.back_cct
        self.monotone = self.back_luminance == 0 and self.back_cct == 0

    def _xyz(self, out: tuple[int, ...]) -> tuple[float, float, float]:
        x = y = z = 0.0
        for v, (px, py, pz) in zip(out, self.primaries, strict=True):
            f = v / self.full
            x += f * px
            y += f * py
            z += f * pz
        return x, y, z

    def report(self) -> dict[str, float]:
        return {
            "back_luminance_levels": round(self.back_luminance, 3),
            "back_cct_k": round(self.back_cct, 1),
        }


_EPSILON = 1e-6  # floating point's own error in the colour arithmetic (levels, kelvin)


def _corners(out: tuple[int, ...], full: int) -> list[tuple[int, ...]]:
    """The output with each channel one step down or up (within 0..full): 2^channels."""
    corners: list[tuple[int, ...]] = [()]
    for v in out:
        corners = [(*c, min(full, max(0, v + d))) for c in corners for d in (-1, 1)]
    return corners


def _back(series: list[tuple[float, float]]) -> float:
    """How far a series of [lo, hi] intervals must go back against the direction from its
    first to its last (0: some value in each interval makes it monotone)."""
    if len(series) < 2:  # noqa: PLR2004
        return 0.0
    first, last = series[0], series[-1]
    up = (last[0] + last[1]) >= (first[0] + first[1])
    worst = 0.0
    reached = -math.inf if up else math.inf  # the farthest the values must have come
    for lo, hi in series:
        if up:
            worst = max(worst, reached - hi)
            reached = max(reached, lo)
        else:
            worst = max(worst, lo - reached)
            reached = min(reached, hi)
    return max(0.0, worst)


# sRGB's primaries in XYZ (IEC 61966-2-1), each at full: the columns of the RGB -> XYZ matrix
_SRGB = ((0.4124, 0.2126, 0.0193), (0.3576, 0.7152, 0.1192), (0.1805, 0.0722, 0.9505))


def _planck_xy(kelvin: float) -> tuple[float, float]:
    """The Planckian locus's chromaticity (Kim et al., 2002, 1667-25000 K)."""
    t = kelvin
    if t <= 4000:  # noqa: PLR2004
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:  # noqa: PLR2004
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:  # noqa: PLR2004
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def _planck_xyz(kelvin: float) -> tuple[float, float, float]:
    """A white at that temperature with luminance 1 (a warm/cool strip's channel at full)."""
    x, y = _planck_xy(kelvin)
    return x / y, 1.0, (1 - x - y) / y


def _white_led(kelvin: float) -> tuple[float, float, float]:
    """An RGBW strip's white LED at full: the black body's colour in linear sRGB, scaled so its
    largest channel is 1 (as bright as the brightest of the colour LEDs it stands beside)."""
    x, y, z = _planck_xyz(kelvin)
    rgb = [
        max(0.0, 3.2406 * x - 1.5372 * y - 0.4986 * z),
        max(0.0, -0.9689 * x + 1.8758 * y + 0.0415 * z),
        max(0.0, 0.0557 * x - 0.2040 * y + 1.0570 * z),
    ]
    top = max(rgb)
    r, g, b = (c / top for c in rgb)
    return tuple(  # type: ignore[return-value]
        r * _SRGB[0][i] + g * _SRGB[1][i] + b * _SRGB[2][i] for i in range(3)
    )


def _mccamy(xyz: tuple[float, float, float]) -> float | None:
    """The correlated colour temperature (McCamy, 1992) of a light; None for darkness."""
    total = sum(xyz)
    if total <= 1e-9 or xyz[1] <= 1e-9:  # noqa: PLR2004
        return None
    x, y = xyz[0] / total, xyz[1] / total
    if abs(0.1858 - y) < 1e-9:  # noqa: PLR2004
        return None
    n = (x - 0.3320) / (0.1858 - y)
    return 449 * n**3 + 3525 * n**2 + 6823.3 * n + 5520.33
