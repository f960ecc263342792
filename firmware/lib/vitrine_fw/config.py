# The board's config.json: generated on the host from the board's description in hardware/
# (vitrine flash writes it), checked here once at boot so the rest of the firmware sees only
# valid values.
import json

from vitrine_fw import wire

ROLES = ("touch", "presence", "lights", "beacon")
LINK_KINDS = ("usb-cdc", "uart", "ble")  # ble: the GATT link of vitrine_fw.blelink
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
    _subsystem_settings(cfg, where)
    build = cfg.get("build_hash", "dev")
    if not isinstance(build, str) or len(build) > 64:
        raise ValueError("%s: build_hash=%r, allowed: string of at most 64 chars" % (where, build))
    cfg["build_hash"] = build
    production = cfg.get("production", False)
    if production is not True and production is not False:
        raise ValueError("%s: production=%r, allowed: true or false" % (where, production))
    cfg["production"] = production
    return cfg


def _subsystem_settings(cfg, where):
    # The settings of the role's subsystems: the lighting board's strips, the beacon's beacon.
    cfg["strips"] = _strips(cfg.get("strips", []), where)
    if "beacon" in cfg or "beacon" in cfg["subsystems"]:
        cfg["beacon"] = _beacon(cfg.get("beacon", {}), where)


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


# The beacon's settings ("beacon" in config.json, from [beacon] in hardware/boards/beacon.toml):
# key -> (lowest, highest, default) for the integers.
_BEACON_INTS = {
    "interval_ms": (20, 10240, 100),  # advertising interval; Apple's iBeacon asks for 100 ms
    "frame_ms": (100, 60000, 1000),  # each frame is advertised this long before the next
    "power_1m_dbm": (-100, 20, -59),  # measured power at 1 m (Eddystone's at 0 m is +41 dB)
    "tlm_every": (0, 100, 10),  # an Eddystone-TLM frame after this many others; 0: none
    "company_id": (0, 0xFFFF, 0xFFFF),  # the loyalty app's company id (docs/beacons.md)
    "scan_interval_ms": (10, 10240, 100),
    "scan_window_ms": (10, 10240, 90),  # listening this long in every scan interval
}


def _hex_bytes(value, n, name):
    # n bytes written as hex, dashes allowed (a UUID as people write it)
    if isinstance(value, str):
        text = value.replace("-", "")
        if len(text) == 2 * n:
            try:
                return bytes(int(text[i : i + 2], 16) for i in range(0, 2 * n, 2))
            except ValueError:
                pass
    raise ValueError("%s=%r, allowed: %d bytes in hex" % (name, value, n))


def _beacon(beacon, where):
    name = "%s: beacon" % where
    if not isinstance(beacon, dict):
        raise ValueError("%s=%r, allowed: an object" % (name, beacon))
    out = {}
    for key in _BEACON_INTS:
        lo, hi, default = _BEACON_INTS[key]
        value = beacon.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise ValueError("%s.%s=%r, allowed: integer %d..%d" % (name, key, value, lo, hi))
        out[key] = value
    if out["scan_window_ms"] > out["scan_interval_ms"]:
        raise ValueError(
            "%s.scan_window_ms=%d must not exceed scan_interval_ms=%d"
            % (name, out["scan_window_ms"], out["scan_interval_ms"])
        )
    out["ibeacon"] = _ibeacon(beacon.get("ibeacon"), name)
    out["eddystone_uid"] = _eddystone_uid(beacon.get("eddystone_uid"), name)
    out["eddystone_url"] = _eddystone_url(beacon.get("eddystone_url"), name)
    power_0m = out["power_1m_dbm"] + 41
    eddystone = out["eddystone_uid"] or out["eddystone_url"]
    if eddystone is not None and power_0m > 20:
        raise ValueError(
            "%s.power_1m_dbm=%d: Eddystone's power at 0 m (+41 dB) would be %d, allowed up to 20"
            % (name, out["power_1m_dbm"], power_0m)
        )
    return out


def _ibeacon(ibeacon, name):
    if ibeacon is not None:
        if not isinstance(ibeacon, dict):
            raise ValueError("%s.ibeacon=%r, allowed: {uuid, major, minor}" % (name, ibeacon))
        _hex_bytes(ibeacon.get("uuid"), 16, name + ".ibeacon.uuid")
        for key in ("major", "minor"):
            value = ibeacon.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
                raise ValueError("%s.ibeacon.%s=%r, allowed: integer 0..65535" % (name, key, value))
    return ibeacon


def _eddystone_uid(uid, name):
    if uid is not None:
        if not isinstance(uid, dict):
            raise ValueError("%s.eddystone_uid=%r, allowed: {namespace, instance}" % (name, uid))
        _hex_bytes(uid.get("namespace"), 10, name + ".eddystone_uid.namespace")
        _hex_bytes(uid.get("instance"), 6, name + ".eddystone_uid.instance")
    return uid


def _eddystone_url(url, name):
    if url is not None:
        from vitrine_fw.beacon.adverts import encode_url

        if not isinstance(url, str):
            raise ValueError("%s.eddystone_url=%r, allowed: a URL" % (name, url))
        try:
            encode_url(url)
        except ValueError as err:
            raise ValueError("%s.eddystone_url: %s" % (name, err))
    return url
