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
    _parts(cfg, where)
    build = cfg.get("build_hash", "dev")
    if not isinstance(build, str) or len(build) > 64:
        raise ValueError("%s: build_hash=%r, allowed: string of at most 64 chars" % (where, build))
    cfg["build_hash"] = build
    production = cfg.get("production", False)
    if production is not True and production is not False:
        raise ValueError("%s: production=%r, allowed: true or false" % (where, production))
    cfg["production"] = production
    return cfg


def _parts(cfg, where):
    # The role's hardware: a lighting board's strips, a presence board's sensors, the beacon's
    # beacon.
    cfg["strips"] = _strips(cfg.get("strips", []), where)
    if "lighting" in cfg:
        cfg["lighting"] = _lighting(cfg["lighting"], where + ": lighting")
    if "proximity" in cfg:
        cfg["proximity"] = _proximity(cfg["proximity"], where + ": proximity")
    if "beacon" in cfg or "beacon" in cfg["subsystems"]:
        cfg["beacon"] = _beacon(cfg.get("beacon", {}), where)


def _strips(strips, where):
    # The lighting board's strips: an addressable one {"pin", "pixels", "order", "led_ma",
    # "white_k"} (order: the order the chips take red, green, blue (and white) in), or a warm
    # and cool white one {"kind": "cct", "warm", "cool", "warm_k", "cool_k", "leds", "led_ma",
    # "pwm_hz"}; led_ma is one LED's current at full white.
    if not isinstance(strips, list):
        raise ValueError("%s: strips=%r, allowed: list of {pin, pixels, order}" % (where, strips))
    for i in range(len(strips)):
        strip = strips[i]
        name = "%s: strips[%d]" % (where, i)
        if not isinstance(strip, dict):
            raise ValueError("%s=%r, allowed: {pin, pixels, order}" % (name, strip))
        kind = strip.get("kind", "addressable")
        if kind == "cct":
            _cct(strip, name)
            continue
        if kind != "addressable":
            raise ValueError("%s.kind=%r, allowed: addressable, cct" % (name, kind))
        for key, lo, hi in (("pin", 0, 255), ("pixels", 1, MAX_PIXELS)):
            _int_in(name, key, strip.get(key), lo, hi)
        for key, lo, hi in (("led_ma", 1, 500), ("white_k", 1000, 20000)):
            if key in strip:
                _int_in(name, key, strip[key], lo, hi)
        order = strip.get("order")
        if not isinstance(order, str) or sorted(order) not in (sorted("RGB"), sorted("RGBW")):
            raise ValueError(
                "%s.order=%r, allowed: R, G, B (and W) once each, e.g. GRB or GRBW" % (name, order)
            )
    return strips


def _cct(strip, name):
    for key, lo, hi in (
        ("warm", 0, 255),
        ("cool", 0, 255),
        ("warm_k", 1000, 20000),
        ("cool_k", 1000, 20000),
        ("leds", 1, 10000),
        ("led_ma", 1, 500),
        ("pwm_hz", 1000, 40000),  # at least 1 kHz: no flicker a camera or an eye would see
    ):
        _int_in(name, key, strip.get(key), lo, hi)
    if strip["warm_k"] >= strip["cool_k"]:
        raise ValueError(
            "%s: warm_k=%d must be below cool_k=%d" % (name, strip["warm_k"], strip["cool_k"])
        )


# The lighting board's budget and safe scene: key -> (lowest, highest, default).
_LIGHTING_INTS = {
    "budget_ma": (0, 100000, 0),  # the strips' current at most (0: none given)
    "safe_kelvin": (1000, 20000, 4000),  # the light shown when the host is away ...
    "safe_brightness": (0, 255, 180),
    "safe_after_ms": (1000, 3600000, 30000),  # ... for this long
}


def _lighting(lighting, where):
    if not isinstance(lighting, dict):
        raise ValueError("%s=%r, allowed: {budget_ma, safe_kelvin, ...}" % (where, lighting))
    out = {}
    for key, (lo, hi, default) in _LIGHTING_INTS.items():
        out[key] = _int_in(where, key, lighting.get(key, default), lo, hi)
    return out


# The presence board's sensors (hardware/boards/presence.toml [proximity] and [[tof]]):
# key -> (lowest, highest, default) for its integer settings.
_PROXIMITY_INTS = {
    "timing_budget_ms": (15, 500, 33),  # one of the ULD's budgets for the mode (checked below)
    "period_ms": (19, 10000, 37),  # at least the budget + 4 ms (UM2510)
    "median": (1, 5, 3),  # readings in each sensor's median: 1, 3 or 5
    "max_mm": (100, 4000, 3000),  # a reading farther than this is no target
    "approach_mm": (100, 4000, 1500),  # PRESENCE approach: a target nearer than this
    "present_ms": (0, 60000, 1000),  # ... that stays there this long: present
    "leave_ms": (100, 60000, 1500),  # no target within approach + hysteresis this long: absent
    "hysteresis_mm": (0, 1000, 100),
    "distance_rate_hz": (1, 100, 30),  # DISTANCE frames per sensor and second at most
}
_BUDGETS = {"short": (15, 20, 33, 50, 100, 200, 500), "long": (20, 33, 50, 100, 200, 500)}
MAX_TOF = 4  # sensors on one bus


def _int_in(where, key, value, lo, hi):
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError("%s.%s=%r, allowed: integer %d..%d" % (where, key, value, lo, hi))
    return value


def _proximity(prox, where):
    # The board's ToF sensors, PIR and thresholds; see _PROXIMITY_INTS and docs/firmware.md.
    if not isinstance(prox, dict):
        raise ValueError("%s=%r, allowed: an object" % (where, prox))
    out = {}
    for key, (lo, hi, default) in _PROXIMITY_INTS.items():
        out[key] = _int_in(where, key, prox.get(key, default), lo, hi)
    mode = prox.get("distance_mode", "long")
    if mode not in _BUDGETS:
        raise ValueError("%s.distance_mode=%r, allowed: short, long" % (where, mode))
    out["distance_mode"] = mode
    if out["timing_budget_ms"] not in _BUDGETS[mode]:
        raise ValueError(
            "%s.timing_budget_ms=%d, allowed in %s mode: %s"
            % (where, out["timing_budget_ms"], mode, ", ".join([str(b) for b in _BUDGETS[mode]]))
        )
    if out["period_ms"] < out["timing_budget_ms"] + 4:
        raise ValueError(
            "%s.period_ms=%d must be at least timing_budget_ms + 4 = %d"
            % (where, out["period_ms"], out["timing_budget_ms"] + 4)
        )
    if out["median"] not in (1, 3, 5):
        raise ValueError("%s.median=%r, allowed: 1, 3 or 5" % (where, out["median"]))
    i2c = prox.get("i2c")
    if not isinstance(i2c, dict):
        raise ValueError("%s.i2c=%r, allowed: {bus, scl, sda, freq}" % (where, i2c))
    out["i2c"] = {
        "bus": _int_in(where + ".i2c", "bus", i2c.get("bus", 0), 0, 1),
        "scl": _int_in(where + ".i2c", "scl", i2c.get("scl"), 0, 255),
        "sda": _int_in(where + ".i2c", "sda", i2c.get("sda"), 0, 255),
        "freq": _int_in(where + ".i2c", "freq", i2c.get("freq", 400000), 10000, 1000000),
    }
    out["tof"] = _tof(prox.get("tof"), where)
    pir = prox.get("pir")
    if pir is not None:
        if not isinstance(pir, dict):
            raise ValueError("%s.pir=%r, allowed: {pin, warmup_s, stuck_s}" % (where, pir))
        pir = dict(pir)  # its placement stays (the simulator reads it)
        pir["pin"] = _int_in(where + ".pir", "pin", pir.get("pin"), 0, 255)
        pir["warmup_s"] = _int_in(where + ".pir", "warmup_s", pir.get("warmup_s", 60), 0, 300)
        pir["stuck_s"] = _int_in(where + ".pir", "stuck_s", pir.get("stuck_s", 600), 10, 86400)
    out["pir"] = pir
    return out


def _tof(tof, where):
    if not isinstance(tof, list) or not 1 <= len(tof) <= MAX_TOF:
        raise ValueError(
            "%s.tof=%r, allowed: a list of 1..%d sensors {name, address, xshut, gpio1}"
            % (where, tof, MAX_TOF)
        )
    out = []
    names = []
    addresses = []
    without_xshut = 0
    for i in range(len(tof)):
        sensor = tof[i]
        name = "%s.tof[%d]" % (where, i)
        if not isinstance(sensor, dict):
            raise ValueError("%s=%r, allowed: {name, address, xshut, gpio1}" % (name, sensor))
        label = sensor.get("name", str(i))
        if not isinstance(label, str) or not 0 < len(label) <= 16 or label in names:
            raise ValueError(
                "%s.name=%r, allowed: a unique name of 1..16 characters" % (name, label)
            )
        address = _int_in(name, "address", sensor.get("address", 0x29), 0x08, 0x77)
        if address in addresses:
            raise ValueError("%s.address=0x%02x is another sensor's" % (name, address))
        entry = dict(sensor)  # its placement stays (the simulator reads it)
        for key in ("xshut", "gpio1"):
            value = sensor.get(key)
            entry[key] = None if value is None else _int_in(name, key, value, 0, 255)
        if entry["xshut"] is None:
            without_xshut += 1
        entry["name"] = label
        entry["address"] = address
        names.append(label)
        addresses.append(address)
        out.append(entry)
    if without_xshut > 1:
        raise ValueError(
            "%s.tof: %d sensors have no xshut pin; at most one may (the others must be held in "
            "reset while one moves from 0x29 to its address)" % (where, without_xshut)
        )
    return out


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
