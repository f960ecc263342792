"""The simulated 2.4 GHz radio link between a phone and a receiver: what RSSI a receiver reads
for one advertisement, and whether it hears it at all. A witness, not a judge: benchmarks take
the truth (where people are) from the world, never from these numbers.

The model is the log-distance path loss with log-normal shadowing (Rappaport, "Wireless
Communications: Principles and Practice", 2nd ed., §4.9-4.11):

    RSSI(d) = P_1m - 10 n log10(d / 1 m) - body - X,    X ~ N(0, sigma)

with parameters from published measurements and specifications:

- n = 2.2: the path-loss exponent Rappaport's table 4.2 gives for retail stores (Andersen,
  Rappaport & Yoshida, "Propagation measurements and models for wireless communications
  channels", IEEE Communications Magazine 33(1), 1995); free space is 2.0.
- sigma = 5 dB: inside the 4-6 dB this project asks its benches to face (the same table gives
  5.2 dB for a grocery store); drawn afresh for every advertisement (the scanner sees a new
  channel and a new multipath each time).
- P_1m = -59 dBm: the RSSI at 1 m that iBeacon's measured power typically reads (Apple's
  Proximity Beacon Specification calibrates at 1 m); each phone adds an offset of its own,
  N(0, 2) dB, for how models and pockets differ.
- body = 8 dB while the phone-carrier's body is between phone and receiver (facing away from
  it: the phone is carried in front), the figure this project's issue sets for a body turning.
- Sensitivity -97 dBm: the ESP32-S3's LE 1M receiver (ESP32-S3 datasheet, Bluetooth LE radio,
  receiver sensitivity at 1 Mbps); an advertisement read below it is not heard.
- A scanner hears an advertising event only while it listens: window / interval of the time
  (an event's PDUs on channels 37-39 take about a millisecond); advertisements collide as in
  pure ALOHA: a 376 us PDU (31 bytes of data at 1 Mbit/s) survives with probability
  exp(-2 rate tau), rate being every transmitter's events per second together.
- Phones advertise every 100-1000 ms, each event delayed by a random 0-10 ms (advDelay, Core
  5.4 Vol 6 Part B §4.4.2.2.1) so that two advertisers do not stay in step.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

PDU_S = 376e-6  # one advertising PDU with 31 bytes of data at 1 Mbit/s
ADV_DELAY_S = 0.010  # advDelay: up to 10 ms added to every advertising interval


@dataclass(frozen=True)
class RadioModel:
    """The path-loss model's parameters (see the module docstring for their sources)."""

    p1m_dbm: float = -59.0
    exponent: float = 2.2
    sigma_db: float = 5.0
    body_db: float = 8.0
    phone_spread_db: float = 2.0  # the spread of P_1m between phones
    sensitivity_dbm: float = -97.0
    min_distance_m: float = 0.1  # closer than this the model is not used (near field)

    def mean_rssi(self, distance_m: float, body: bool, offset_db: float = 0.0) -> float:
        """The median RSSI at a distance, with the body in the way or not."""
        d = max(distance_m, self.min_distance_m)
        loss = 10.0 * self.exponent * math.log10(d)
        return self.p1m_dbm + offset_db - loss - (self.body_db if body else 0.0)

    def sample(
        self, rng: random.Random, distance_m: float, body: bool, offset_db: float = 0.0
    ) -> float | None:
        """One advertisement's RSSI as a receiver reads it (a whole dBm), or None when it is
        below the receiver's sensitivity."""
        rssi = self.mean_rssi(distance_m, body, offset_db) + rng.gauss(0.0, self.sigma_db)
        rssi = round(rssi)
        return rssi if rssi >= self.sensitivity_dbm else None

    def distance_for(self, rssi_dbm: float, offset_db: float = 0.0) -> float:
        """The distance at which the median RSSI (no body) is rssi_dbm: the inverse of
        mean_rssi, for choosing thresholds from distances."""
        return 10 ** ((self.p1m_dbm + offset_db - rssi_dbm) / (10.0 * self.exponent))


def collision_survival(events_per_s: float) -> float:
    """The chance an advertising PDU overlaps no other (pure ALOHA)."""
    return math.exp(-2.0 * events_per_s * PDU_S)


def body_between(
    facing_rad: float | None, person_xy: tuple[float, float], receiver_xy: tuple[float, float]
) -> bool:
    """Whether the carrier's body is between a phone carried in front and the receiver: they
    face more than 90 degrees away from the receiver. No facing known: not in the way."""
    if facing_rad is None:
        return False
    dx, dy = receiver_xy[0] - person_xy[0], receiver_xy[1] - person_xy[1]
    if dx == 0 and dy == 0:
        return False
    to_receiver = math.atan2(dy, dx)
    diff = (facing_rad - to_receiver + math.pi) % (2 * math.pi) - math.pi
    return abs(diff) > math.pi / 2
