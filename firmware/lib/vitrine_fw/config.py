# The board's config.json: generated on the host from the board's description in hardware/
# (vitrine flash writes it), checked here once at boot so the rest of the firmware sees only
# valid values.
import json

from vitrine_fw import wire

ROLES = ("touch", "presence", "lights", "beacon")
LINK_KINDS = ("usb-cdc", "uart")
MAX_PIXELS = 1000  # LEDs on one strip at most

# key -> (lowest, highest) for the integer settings, with their defaults.
_INTS = {
    "watchdog_ms": (1000, 8000, 5000),  # RP2040's watchdog tops out at 8388 ms
    "liveness_ms": (200, 8000, 2000),  # a task silent for longer stops the watchdog feed
    # until the host's LINK_TIMING says otherwise (the same ranges: wire.py)
    "heartbeat_ms": (wire.HEARTBEAT_MIN_MS, wire.HEARTBEAT_MAX_MS, 1000),
    "missed_heartbeats": (wire.MISSED_MIN, wire.MISSED_MAX, 4),
}


def load(path):
    """Read and check a config file; raises OSError or ValueError naming the problem."""
    with open(path) as f:
        try:
            cfg = json.load(f)
        except ValueError:
            raise ValueError(path + ": not valid JSON")
    return check(cfg, path)


def check(cfg, where="config.json"):
    """Check a config dict, fill in defaults; raises ValueError naming key, value, allowed."""
    if not isinstance(cfg, dict):
        raise ValueError(where + ": must be a JSON object")
    role = cfg.get("role")
    if role not in ROLES:
        raise ValueError("%s: role=%r, allowed: %s" % (where, role, ", ".join(ROLES)))
    for key, (lo, hi, default) in _INTS.items():
        value = cfg.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise ValueError("%s: %s=%r, allowed: integer %d..%d" % (where, key, value, lo, hi))
        cfg[key] = value
    if cfg["liveness_ms"] >= cfg["watchdog_ms"]:
        raise ValueError(
            "%s: liveness_ms=%d must be below watchdog_ms=%d"
            % (where, cfg["liveness_ms"], cfg["watchdog_ms"])
        )
    link = cfg.get("link", {"kind": "usb-cdc"})
    if not isinstance(link, dict) or link.get("kind") not in LINK_KINDS:
        raise ValueError("%s: link=%r, allowed kinds: %s" % (where, link, ", ".join(LINK_KINDS)))
    if link["kind"] == "uart":
        for key in ("id", "tx", "rx", "baud"):
            if not isinstance(link.get(key), int):
                raise ValueError("%s: link.%s=%r, allowed: integer" % (where, key, link.get(key)))
    cfg["link"] = link
    subsystems = cfg.get("subsystems", [])
    if not isinstance(subsystems, list) or not all(isinstance(s, str) for s in subsystems):
        raise ValueError("%s: subsystems=%r, allowed: list of names" % (where, subsystems))
    cfg["subsystems"] = subsystems
    cfg["strips"] = _strips(cfg.get("strips", []), where)
    build = cfg.get("build_hash", "dev")
    if not isinstance(build, str) or len(build) > 64:
        raise ValueError("%s: build_hash=%r, allowed: string of at most 64 chars" % (where, build))
    cfg["build_hash"] = build
    production = cfg.get("production", False)
    if production is not True and production is not False:
        raise ValueError("%s: production=%r, allowed: true or false" % (where, production))
    cfg["production"] = production
    return cfg


def _strips(strips, where):
    # The LED strips of a lighting board: [{"pin": GPIO, "pixels": N, "order": "GRB"}, ...];
    # order is the order the strip's chips take red, green, blue (and white) in.
    if not isinstance(strips, list):
        raise ValueError("%s: strips=%r, allowed: list of {pin, pixels, order}" % (where, strips))
    for i in range(len(strips)):
        strip = strips[i]
        name = "%s: strips[%d]" % (where, i)
        if not isinstance(strip, dict):
            raise ValueError("%s=%r, allowed: {pin, pixels, order}" % (name, strip))
        for key, lo, hi in (("pin", 0, 255), ("pixels", 1, MAX_PIXELS)):
            value = strip.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ValueError("%s.%s=%r, allowed: integer %d..%d" % (name, key, value, lo, hi))
        order = strip.get("order")
        if not isinstance(order, str) or sorted(order) not in (sorted("RGB"), sorted("RGBW")):
            raise ValueError(
                "%s.order=%r, allowed: R, G, B (and W) once each, e.g. GRB or GRBW" % (name, order)
            )
    return strips
