"""The store day of `vitrine bench analytics --parts day`: a simulated day (vitrine.sim.storeday)
run through the mirror's sensing and the real analytics, each funnel metric set beside the
day's truth.

The way through, and what is real:

- presence and zones: the world goes through the presence board's real firmware and the
  host's real fusion on a virtual clock (vitrine.sim.presence_replay), one replay per stretch
  of the day with somebody in front of the mirror (a fresh board for each: nothing of a
  stretch carries over to the next, as nothing is in front between them), with the camera's
  people fused in as on a mirror (vitrine.bench.camera_witness: what the camera reports of
  the world's bodies, from the person detector's recorded figures); its Zone and Presence
  events are the daemon's own;
- the camera's other events: a whole day of synthetic frames cannot go through the ONNX
  models in the bench's time, so PeopleCounted, Attention and MemberRecognised are made from
  the world with the detection limits `vitrine bench vision` measured (CAMERA below,
  docs/vision.md and docs/metrics.md);
- the engine: its records (vitrine.engine.records) are made from each visitor's script at the
  script's times, as the engine's worker publishes them (the engine itself is not run);
- point of sale: the day's purchases written to a CSV file and imported by the function of
  `vitrine analytics import-sales`;
- then the real thing: the Recorder (its wall clock the day's), the ObservationWriter into
  analytics.db, the hourly and daily roll-ups, and the report of `vitrine analytics report`.

The measured side never reads the truth's numbers: it reads only what the report's SQL gives.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vitrine.analytics import store
from vitrine.analytics.config import AnalyticsConfig
from vitrine.analytics.imports import import_sales
from vitrine.analytics.metrics import report
from vitrine.analytics.recorder import Recorder
from vitrine.analytics.rollup import Rules, roll
from vitrine.analytics.sqldb import SqliteDb
from vitrine.analytics.writer import ObservationWriter
from vitrine.bench.camera_witness import LATENCY_S, MEASURED, PRESENCE_HZ, CameraWitness
from vitrine.engine import records as rec
from vitrine.sim.people import Person, World, ZoneGeometry
from vitrine.sim.presence_replay import Replay, ReplayOptions
from vitrine.sim.storeday import DayPlan, plan_day, truth
from vitrine.vision.events import Attention, MemberRecognised, PeopleCounted

STORE = "store-1"
MIRROR = "mirror-1"
TOLERANCE = 0.05  # every metric within 5% of its truth (relative)
_EPS = 1e-9  # rounding
_PAD_S = (3.0, 5.0)  # a replayed stretch starts this before its first person, ends after
# The camera's detection limits, from `vitrine bench vision` (docs/vision.md, "Numbers"):
# - passers-by: 70 of 70 found (0%); we take 2% missed, about half the 95% upper bound of
#   0 in 70 (4.2%), so the day shows what a small miss does;
# - a stop in front (a track standing 2 s): not measured apart; taken as the passers-by's 2%;
# - attention: the seconds within 0.1 s of the truth for 2 of 4 shoppers, 2.2 s and 3.0 s off
#   for the other 2 (long looks), when the day was made: a look's seconds get N(0, 0.1 s) of
#   error, a look over 5 s up to ±3 s; 2% of looks not seen at all (a face not found). The
#   pipeline now keeps all 4 within 0.06 s; the day keeps the worse errors, so its attention
#   figures are on the cautious side;
# - loyalty recognition: not measured by the bench (no enrolled faces in its set): no miss.
# Misses are spread evenly at their rate (every 50th at 2%), not drawn, so a short day's
# figures do not hinge on the seed.
CAMERA = {
    "passer_by_miss": 0.02,
    "stop_miss": 0.02,
    "stop_after_s": 2.0,
    "look_miss": 0.02,
    "look_error_s": 0.1,
    "long_look_s": 5.0,
    "long_look_error_s": 3.0,
    "member_miss": 0.0,
    "time_jitter_s": 0.1,
}

Progress = Callable[[str], None]
Timed = tuple[float, int, Any]  # (world time, order among equals, event)


class _Thinning:
    """Misses at a rate, spread evenly: the n-th call says whether the n-th detection is missed."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.owed = 0.0

    def missed(self) -> bool:
        self.owed += self.rate
        if self.owed >= 1.0:
            self.owed -= 1.0
            return True
        return False


# -- presence: the board's firmware and the host's fusion ------------------------------------


def _stretches(world: World) -> list[tuple[float, float, tuple[Person, ...]]]:
    """The day cut where nobody is about: (start, end, the people in it)."""
    out: list[tuple[float, float, list[Person]]] = []
    for person in sorted(world.people, key=lambda p: p.start_s):
        start, end = person.start_s - _PAD_S[0], person.end_s + _PAD_S[1]
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end), [*out[-1][2], person])
        else:
            out.append((start, end, [person]))
    return [(a, b, tuple(people)) for a, b, people in out]


def presence_events(world: World, progress: Progress) -> tuple[list[Timed], dict[str, Any]]:
    """The Zone and Presence events of the real firmware and fusion, at world times."""
    events: list[Timed] = []
    stretches = _stretches(world)
    virtual = 0.0
    for n, (start, end, people) in enumerate(stretches):
        piece = World(people=people, duration_s=end - start, room=world.room).shifted(-start)
        witness = CameraWitness(piece, MEASURED, seed=n)
        options = ReplayOptions(
            pir_warmup_s=0.0,
            uid=f"day-{n}",
            camera=witness.report,
            camera_hz=PRESENCE_HZ,
            camera_latency_s=LATENCY_S,
        )
        replay = Replay(piece, options)
        replay.run_until(end - start)
        virtual += end - start
        events += [(start + d.t_s, 0, d.event) for d in replay.decisions]
        if n % 50 == 0:
            progress(f"day: presence replay, stretch {n + 1} of {len(stretches)}")
    return events, {"stretches": len(stretches), "replayed_s": round(virtual, 1)}


# -- the camera, modelled from the world with its measured limits -----------------------------


def _first_in_band(person: Person, geometry: ZoneGeometry, step: float = 0.05) -> float | None:
    n = 0
    t = person.start_s
    while t <= person.end_s:
        pos = person.at(t)
        if pos is not None and geometry.zone_of(*pos) != "none":
            return t
        n += 1
        t = person.start_s + n * step
    return None


def camera_events(plan: DayPlan, seed: int) -> list[Timed]:
    """PeopleCounted, Attention and MemberRecognised for the day's people, with the detection
    limits of CAMERA."""
    rng = random.Random(seed * 7919 + 1)
    geometry = ZoneGeometry()
    passer, stop, look = (
        _Thinning(CAMERA["passer_by_miss"]),
        _Thinning(CAMERA["stop_miss"]),
        _Thinning(CAMERA["look_miss"]),
    )
    members = _Thinning(CAMERA["member_miss"])
    scripts = {s.person: s for s in plan.scripts}
    out: list[Timed] = []

    def jitter() -> float:
        return rng.gauss(0.0, CAMERA["time_jitter_s"])

    for track, person in enumerate(plan.world.people, start=1):
        if not person.warm:
            continue
        first = _first_in_band(person, geometry)
        if first is None:
            continue
        if not passer.missed():
            out.append((first + 0.5 + abs(jitter()), 1, _counted("passer_by", track)))
        for a, b in _standing(person, geometry):
            if b - a >= CAMERA["stop_after_s"] and not stop.missed():
                t = a + CAMERA["stop_after_s"] + abs(jitter())
                out.append((t, 1, _counted("stop", track)))
        for a, b in person.looks:
            if look.missed():
                continue
            spread = (
                CAMERA["long_look_error_s"] * rng.uniform(-1.0, 1.0)
                if b - a > CAMERA["long_look_s"]
                else rng.gauss(0.0, CAMERA["look_error_s"])
            )
            seconds = max(0.0, b - a + spread)
            out.append((b + abs(jitter()), 2, _attention(track, seconds)))
        script = scripts.get(person.id)
        if script is not None and script.member is not None and not members.missed():
            at = script.arrive_s + min(3.0, (script.leave_s - script.arrive_s) / 2)
            out.append((at, 3, _recognised(script.member, track)))
    return out


def _standing(person: Person, geometry: ZoneGeometry) -> list[tuple[float, float]]:
    """Where the path stands still in the mirror's area: (from, to) of each such stop."""
    out = []
    for (t0, x0, y0), (t1, x1, y1) in zip(person.path, person.path[1:], strict=False):
        if (x0, y0) == (x1, y1) and geometry.zone_of(x0, y0) in ("in_front", "at_glass"):
            out.append((t0, t1))
    return out


def _counted(kind: str, track: int) -> PeopleCounted:
    return PeopleCounted(kind=kind, track=track, t_ns=0)  # type: ignore[arg-type]


def _attention(track: int, seconds: float) -> Attention:
    return Attention(track=track, looking=False, seconds=round(seconds, 3), t_ns=0)


def _recognised(member: str, track: int) -> MemberRecognised:
    return MemberRecognised(member=member, similarity=0.7, track=track, t_ns=0)


# -- the engine's records, from each visitor's script ----------------------------------------


def engine_records(plan: DayPlan) -> list[Timed]:
    """The records the engine's worker would publish for each visitor's session."""
    out: list[Timed] = []
    epoch = plan.epoch
    for n, s in enumerate(plan.scripts, start=1):
        session = f"{n:032x}"
        add = lambda t, r: out.append((t, 4, r))  # noqa: E731
        add(
            s.arrive_s,
            rec.SessionRecorded(
                session=session, event="start", at=epoch + s.arrive_s, phase="approached"
            ),
        )
        for i, touch in enumerate(s.touches):
            at = epoch + touch.t_s
            if i == 0:
                add(touch.t_s, rec.SessionRecorded(session=session, event="engaged", at=at))
            add(
                touch.t_s,
                rec.InteractionRecorded(
                    session=session, kind=touch.kind, screen=touch.screen, at=at
                ),
            )
            if touch.sku:
                add(
                    touch.t_s,
                    rec.ScreenShown(
                        session=session, screen="product", sku=touch.sku, category=None, at=at
                    ),
                )
        if s.request is not None:
            made, sku, fulfil_s = s.request
            request = f"{0xF000 + n:032x}"
            for status, dt_s, value in (
                ("created", 0.0, None),
                ("acknowledged", min(30.0, fulfil_s / 2), None),
                ("fulfilled", fulfil_s, fulfil_s),
            ):
                add(
                    made + dt_s,
                    rec.RequestRecorded(
                        session=session,
                        request=request,
                        kind="size",
                        status=status,
                        sku=sku,
                        variant=f"{sku}-M",
                        fulfil_s=value,
                        at=epoch + made + dt_s,
                    ),
                )
        if s.rating is not None:
            at_s, csat, nps = s.rating
            add(at_s, rec.RatingRecorded(session=session, csat=csat, nps=nps, at=epoch + at_s))
        add(
            s.leave_s,
            rec.SessionRecorded(
                session=session,
                event="end",
                at=epoch + s.leave_s,
                reason="left",
                duration_s=round(s.leave_s - s.arrive_s, 3),
            ),
        )
    return out


# -- point of sale ----------------------------------------------------------------------------


def write_sales(plan: DayPlan, path: Path) -> int:
    """The day's purchases as `vitrine analytics import-sales` reads them; how many."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["store", "transaction", "time", "amount", "items"])
        for n, s in enumerate(plan.scripts, start=1):
            if s.purchase is None:
                continue
            at, sku, amount = s.purchase
            when = dt.datetime.fromtimestamp(plan.epoch + at, dt.UTC).isoformat()
            out.writerow([STORE, f"T-{n:05d}", when, f"{amount:.2f}", f"{sku}-M"])
            rows += 1
    return rows


# -- the day through the analytics ------------------------------------------------------------


def measure_day(
    plan: DayPlan, folder: Path, progress: Progress, rules: Rules | None = None
) -> dict[str, Any]:
    """Run the day through sensing and the analytics; the report of the day and how it went."""
    rules = rules or Rules()
    began = time.perf_counter()
    presence, replayed = presence_events(plan.world, progress)
    progress(f"day: {len(presence)} presence events; the camera and the engine's records")
    events = sorted(
        [*presence, *camera_events(plan, plan.seed), *engine_records(plan)],
        key=lambda e: (e[0], e[1]),
    )
    clock = [plan.epoch]
    path = folder / "day.db"
    writer = ObservationWriter(path, STORE, MIRROR)
    writer.start()
    recorder = Recorder(
        writer,
        AnalyticsConfig(
            counter="camera",
            visit_gap_s=rules.visit_gap_s,
            bounce_s=rules.bounce_s,
            zone_min_s=rules.zone_min_s,
            assisted_window_h=rules.assisted_window_h,
        ),
        wall=lambda: clock[0],
    )
    for t, _order, event in events:
        clock[0] = plan.epoch + t
        recorder.handle(event)
    if not writer.flush(60):
        raise RuntimeError("day: the writer did not commit the day's observations in 60 s")
    written = writer.status()["written"]
    writer.close()
    sales = folder / "sales.csv"
    write_sales(plan, sales)
    conn = store.open_store(path)
    try:
        imported = import_sales(conn, sales, rules.assisted_window_h)
        db = SqliteDb(conn)
        lo = plan.epoch - 3600.0
        hi = plan.epoch + 24 * 3600.0 - 3600.0
        rolled = roll(db, hi + 24 * 3600.0, rules, dt.UTC, limit=10_000)
        out = report(db, lo, hi, rules, store=STORE, mirror=MIRROR, tz=dt.UTC)
    finally:
        conn.close()
    return {
        "report": out,
        "events": len(events),
        "observations": written,
        "sales_imported": imported.new,
        "hours_rolled_up": rolled,
        "seconds": round(time.perf_counter() - began, 1),
        **replayed,
    }


def compare(measured: dict[str, Any], true: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each metric of the truth beside the report's: measured, truth, error in % of the truth,
    and whether it is within TOLERANCE (a truth of 0 must be measured as 0)."""
    out: dict[str, dict[str, Any]] = {}
    for key, t in true.items():
        if key == "dwell_by_zone":
            for zone, figures in t.items():
                got = measured.get("dwell_by_zone", {}).get(zone, {})
                for name in ("visits", "mean_dwell_s"):
                    out[f"dwell_{zone}_{name}"] = _pair(got.get(name), figures[name])
        else:
            out[key] = _pair(measured.get(key), t)
    return out


def _pair(m: float | None, t: float | None) -> dict[str, Any]:
    if m is None or t is None:
        ok = m is None and t is None
        error = None
    elif t == 0:
        ok, error = abs(m) < _EPS, None if m else 0.0
    else:
        error = 100.0 * (m - t) / abs(t)
        ok = abs(m - t) <= TOLERANCE * abs(t) + _EPS
    return {
        "measured": None if m is None else round(m, 4),
        "truth": None if t is None else round(t, 4),
        "error_pct": None if error is None else round(error, 2),
        "ok": ok,
    }


def bench_day(  # noqa: PLR0913 - one keyword per part of the day
    folder: Path,
    progress: Progress,
    *,
    seed: int = 17,
    passers: int = 320,
    visitors: int = 44,
    hours: float = 10.0,
) -> dict[str, Any]:
    """The day's part of `vitrine bench analytics`: every funnel metric beside its truth."""
    plan = plan_day(seed, passers=passers, visitors=visitors, hours=hours)
    progress(f"day: {hours:g} h, {passers} passers-by, {visitors} visitors (seed {seed})")
    rules = Rules()
    true = truth(
        plan,
        visit_gap_s=rules.visit_gap_s,
        bounce_s=rules.bounce_s,
        zone_min_s=rules.zone_min_s,
        assisted_window_h=rules.assisted_window_h,
    )
    run = measure_day(plan, folder, progress, rules)
    rows = compare(run.pop("report"), true)
    worst = max(
        (abs(r["error_pct"]) for r in rows.values() if r["error_pct"] is not None), default=0.0
    )
    return {
        "day_within_5pct": all(r["ok"] for r in rows.values()),
        "day_worst_error_pct": round(worst, 2),
        "day": rows,
        "day_run": {**plan.params, "seed": seed, **run},
        "day_camera_model": dict(CAMERA),
        "day_camera_presence": CameraWitness(World(), MEASURED).assumptions(),
    }
