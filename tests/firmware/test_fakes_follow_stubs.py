"""The fakes of MicroPython's hardware modules follow the port's stubs (micropython-stubs, the
packages tools/firmware_typecheck.py checks the firmware against), for what they fake.

The fakes: the HAL tests' `machine` and `neopixel` (tests/firmware/mpy/fake_machine/) and the
virtual board's `machine`, `time` and `micropython` additions (tools/repl_board/), which model
the ESP32 port; both places' `rp2` (the touch board's PIO and DMA), which model the rp2 port;
and the simulator's pins, ADC, I2C, LED strip and watchdog, which stand in for both ports' and
are compared with both (their constructors left out: the board builds them).

For every function and method a fake defines: each parameter is one the stub has (by name, or
by position where the stub's is positional-only, which MicroPython cannot write), it requires
nothing the stub lets a caller leave out, and its literal defaults are the stub's. Every public
name a fake defines exists in the stub, and its literal constants have the port's values.
Differences that are right are listed below, each with why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .signatures import (
    KEYWORD,
    NOT_LITERAL,
    POSITIONAL,
    REQUIRED,
    VARARGS,
    VARKW,
    ClassInfo,
    ModuleInfo,
    Signature,
    literal,
    read_module,
    signature,
)
from .typecheck_tool import typecheck

ROOT = Path(__file__).resolve().parents[2]
FAKE_MACHINE = "tests/firmware/mpy/fake_machine/machine.py"
REPL_MACHINE = "tools/repl_board/machine.py"

# (fake module, the stub module it fakes, the port it models)
FAKES = (
    (FAKE_MACHINE, "machine", "esp32"),
    ("tests/firmware/mpy/fake_machine/neopixel.py", "neopixel", "esp32"),
    ("tests/firmware/mpy/fake_machine/rp2.py", "rp2", "rp2"),
    (REPL_MACHINE, "machine", "esp32"),
    ("tools/repl_board/time_board.py", "time", "esp32"),
    ("tools/repl_board/rp2.py", "rp2", "rp2"),
    ("tools/repl_board/micropython_board.py", "micropython", "esp32"),
)
SIM = "host/vitrine/sim/board.py"
# (the simulator's class, the stub module, the stub class): the objects a SimBoard hands out
SIM_PARTS = (
    ("SimPin", "machine", "Pin"),
    ("SimADC", "machine", "ADC"),
    ("SimI2C", "machine", "I2C"),
    ("SimPWM", "machine", "PWM"),
    ("SimLedStrip", "neopixel", "NeoPixel"),
    ("SimWatchdog", "machine", "WDT"),
)
PORTS = ("esp32", "rp2")

# Names a fake defines for its tests, which no port has.
TEST_HOOKS = {
    FAKE_MACHINE: {
        "built": "every fake peripheral constructed, for the HAL tests to inspect",
        "resets": "one entry per reset() call (a real board never returns from reset())",
        "set_reset_cause": "the HAL tests set the cause reset_cause() returns",
    },
    "tests/firmware/mpy/fake_machine/rp2.py": {
        "built": "every fake state machine and DMA channel constructed, for the HAL tests",
    },
}

# Constants a fake gives other values than the port, on purpose.
DELIBERATE = {
    (FAKE_MACHINE, name): (
        "the HAL tests' reset causes differ from every port's and from wire.RESET_*, so a HAL "
        "that passed machine's value through unmapped would be caught"
    )
    for name in ("PWRON_RESET", "HARD_RESET", "WDT_RESET", "DEEPSLEEP_RESET", "SOFT_RESET")
}

# Where the stubs are narrower than the port, a fake follows the port: (class, method, param).
STUB_GAPS = {
    ("UART", "write", "n"): (
        "MicroPython's stream write takes (buf, max_len) and (buf, off, max_len) (py/stream.c; "
        "extmod/machine_uart.c makes it UART.write), which the HAL's StreamPort uses to write "
        "buf[0:n] without slicing; the stubs give write(buf) only. No micropython-stubs issue "
        "found; the same gap for sys.stdout.buffer: Josverl/micropython-stubs#882"
    ),
}


def _why_no_stubs():
    try:
        for port in PORTS:
            typecheck.stubs_dir(port)
    except typecheck.CheckError as err:
        return str(err)
    return None


pytestmark = pytest.mark.skipif(_why_no_stubs() is not None, reason=str(_why_no_stubs()))


# --- reading the stubs -------------------------------------------------------------------------


def stub_path(port: str, module: str) -> Path:
    folder = typecheck.stubs_dir(port) / module.replace(".", "/")
    return (
        folder.with_suffix(".pyi")
        if folder.with_suffix(".pyi").exists()
        else folder / "__init__.pyi"
    )


def stub_module(port: str, module: str) -> ModuleInfo:
    return read_module(stub_path(port, module))


def stub_class(port: str, module: str, name: str) -> list[ClassInfo]:
    """The stub class and its bases, nearest first, followed through the stubs' imports (and
    re-exports: `from _mpy_shed import _NeoPixelBase`)."""
    mod = stub_module(port, module)
    if name not in mod.classes:
        level, source, original = mod.imports[name]
        if level:  # relative to the module's package (a package's own __init__ is in it)
            parts = module.split(".")
            if stub_path(port, module).name != "__init__.pyi":
                parts = parts[:-1]
            parts = parts[: len(parts) - (level - 1)]
            source = ".".join([*parts, source] if source else parts)
        return stub_class(port, source, original)
    info = mod.classes[name]
    chain = [info]
    for base in info.bases:
        if base in mod.classes or base in mod.imports:
            chain += stub_class(port, module, base)
    return chain


def stub_member(chain: list[ClassInfo], name: str):
    """(signatures, value node, found) of a class member, looked up along the chain."""
    for info in chain:
        if name in info.methods:
            return info.signatures(name), None, True
        if name in info.values:
            return [], info.values[name], True
    return [], None, False


# --- comparing ---------------------------------------------------------------------------------


def compare(fake: Signature, stubs: list[Signature], dunder: bool, gaps=()) -> list[str]:
    """What the fake's signature does that no stub overload allows."""
    problems = _positional_problems(fake, stubs, dunder, gaps)
    for p in fake.params:
        if p.kind == KEYWORD:
            matches = [s.by_keyword()[p.name] for s in stubs if p.name in s.by_keyword()]
            if not matches and not any(s.has(VARKW) for s in stubs):
                problems.append(f"takes keyword {p.name}")
            for q in matches:
                problems += _defaults(p, q)
        elif p.kind in (VARARGS, VARKW) and not any(s.has(p.kind) for s in stubs):
            problems.append(f"takes {p}")
    # What the fake requires, one of the stub's forms requires too (the fake may implement one
    # overload: UART(id, ...) and not the id-less UART() of other ports).
    if not any(_requires_no_more(fake, s) for s in stubs):
        required = [(j, p) for j, p in enumerate(fake.params) if _is_required(p)]
        beyond = [p.name for j, p in required if not any(_required_in(s, fake, j) for s in stubs)]
        names = beyond or [p.name for _, p in required]
        problems.append(f"requires {', '.join(names)}, which the stub lets a caller leave out")
    return sorted(set(problems))


def _positional_problems(fake: Signature, stubs: list[Signature], dunder: bool, gaps) -> list[str]:
    # Each positional parameter of the fake: some stub form takes it at that place (by the
    # same name, unless the stub's is positional-only or this is a dunder), with its default.
    problems = []
    for j, p in enumerate(fake.positional()):
        if p.name in gaps:
            continue
        if dunder or p.kind == POSITIONAL:
            ok = any(len(s.positional()) > j for s in stubs)
        else:
            ok = any(
                len(s.positional()) > j
                and (s.positional()[j].kind == POSITIONAL or s.positional()[j].name == p.name)
                for s in stubs
            )
        if not ok:
            problems.append(f"takes {p.name} as positional argument {j + 1}")
            continue
        for s in stubs:
            if len(s.positional()) > j:
                problems += _defaults(p, s.positional()[j])
    return problems


def _is_required(p) -> bool:
    return p.default is REQUIRED and p.kind not in (VARARGS, VARKW)


def _required_in(stub: Signature, fake: Signature, i: int) -> bool:
    """Whether the stub form requires the fake's parameter i too."""
    p = fake.params[i]
    if p.kind == KEYWORD:
        q = stub.by_keyword().get(p.name)
        return q is not None and q.default is REQUIRED
    j = fake.positional().index(p)
    positional = stub.positional()
    return j < len(positional) and positional[j].default is REQUIRED


def _requires_no_more(fake: Signature, stub: Signature) -> bool:
    return all(_required_in(stub, fake, i) for i, p in enumerate(fake.params) if _is_required(p))


def _defaults(p, q) -> list[str]:
    if REQUIRED in (p.default, q.default) or NOT_LITERAL in (p.default, q.default):
        return []
    if p.default != q.default:
        return [f"defaults {p.name} to {p.default!r}, the stub to {q.default!r}"]
    return []


def check_class(fake: ClassInfo, chain: list[ClassInfo], where: str, *, constructor=True):
    problems = []
    for name, fns in sorted(fake.methods.items()):
        dunder = name.startswith("__") and name.endswith("__")
        if (name.startswith("_") and not dunder) or (name == "__init__" and not constructor):
            continue
        stubs, _, found = stub_member(chain, name)
        if not found:
            problems.append(f"{where}.{name}: not in the stub")
            continue
        gaps = {p for (cls, meth, p) in STUB_GAPS if (cls, meth) == (fake.name, name)}
        for fn in fns:
            got = signature(fn, method=True)
            problems += [
                f"{where}.{name}{got}: {p} (stub: {', '.join(map(str, stubs))})"
                for p in compare(got, stubs, dunder, gaps)
            ]
    for name, node in sorted(fake.values.items()):
        if name.startswith("_"):
            continue
        _, stub_node, found = stub_member(chain, name)
        if not found:
            problems.append(f"{where}.{name}: not in the stub")
        else:
            problems += _constant(where, name, node, stub_node)
    return problems


def _constant(where, name, node, stub_node) -> list[str]:
    want = literal(stub_node)
    got = literal(node)
    if isinstance(want, int) and want != got and (where.split(":")[0], name) not in DELIBERATE:
        return [f"{where}.{name} = {got!r}, the port's is {want!r}"]
    return []


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "module", "port"), FAKES, ids=[f[0] for f in FAKES])
def test_fake_modules_follow_the_stubs(path, module, port):
    fake = read_module(ROOT / path)
    stub = stub_module(port, module)
    hooks = TEST_HOOKS.get(path, {})
    problems = []
    for name, fns in sorted(fake.functions.items()):
        if name.startswith("_") or name in hooks:
            continue
        if name not in stub.functions:
            problems.append(f"{path}: {name}(): not in the stub {module}")
            continue
        stubs = [signature(fn, method=False) for fn in stub.functions[name]]
        for fn in fns:
            got = signature(fn, method=False)
            problems += [f"{path}: {name}{got}: {p}" for p in compare(got, stubs, False)]
    for name, info in sorted(fake.classes.items()):
        if name not in stub.classes:
            problems.append(f"{path}: class {name}: not in the stub {module}")
            continue
        problems += check_class(info, stub_class(port, module, name), f"{path}:{name}")
    for name, node in sorted(fake.values.items()):
        if name.startswith("_") or name in hooks:
            continue
        if name not in stub.values:
            problems.append(f"{path}: {name}: not in the stub {module}")
        else:
            problems += _constant(path, name, node, stub.values[name])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize(("cls", "module", "stub"), SIM_PARTS, ids=[p[0] for p in SIM_PARTS])
def test_the_simulators_parts_follow_both_ports_stubs(cls, module, stub, port):
    fake = read_module(ROOT / SIM).classes[cls]
    problems = check_class(fake, stub_class(port, module, stub), f"{SIM}:{cls}", constructor=False)
    assert not problems, "\n".join(problems)


def test_pin_constants_are_the_esp32_ports():
    # Both fakes model the ESP32 port (machine.Pin.IN 1, OUT 3, PULL_UP 2, PULL_DOWN 1 there;
    # the RP2040's are IN 0, OUT 1, PULL_UP 1, PULL_DOWN 2): the stubs say so, as do
    # ports/esp32/machine_pin.c and ports/rp2/machine_pin.c.
    esp32 = {
        name: literal(stub_member(stub_class("esp32", "machine", "Pin"), name)[1])
        for name in ("IN", "OUT", "OPEN_DRAIN", "PULL_UP", "PULL_DOWN")
    }
    assert esp32 == {"IN": 1, "OUT": 3, "OPEN_DRAIN": 7, "PULL_UP": 2, "PULL_DOWN": 1}
    rp2 = {
        name: literal(stub_member(stub_class("rp2", "machine", "Pin"), name)[1])
        for name in ("IN", "OUT", "PULL_UP", "PULL_DOWN")
    }
    assert rp2 == {"IN": 0, "OUT": 1, "PULL_UP": 1, "PULL_DOWN": 2}
    for path in (FAKE_MACHINE, REPL_MACHINE):
        pin = read_module(ROOT / path).classes["Pin"]
        assert {name: literal(pin.values[name]) for name in esp32} == esp32, path


def test_a_fake_that_strays_from_the_stub_is_caught(tmp_path):
    # The comparison works: a Pin fake with the RP2040's pull-up, a positional `value`, a
    # stricter `mode` and an invented method is refused on each count.
    path = tmp_path / "fake.py"
    path.write_text(
        "class Pin:\n"
        "    PULL_UP = 1\n"
        "    def __init__(self, id, mode, pull=-1, value=None): ...\n"
        "    def toggle_twice(self): ...\n",
        encoding="utf-8",
    )
    info = read_module(path).classes["Pin"]
    problems = check_class(info, stub_class("esp32", "machine", "Pin"), "fake.py:Pin")
    text = "\n".join(problems)
    assert "PULL_UP = 1, the port's is 2" in text
    assert "takes value as positional argument 4" in text
    assert "requires mode, which the stub lets a caller leave out" in text
    assert "toggle_twice: not in the stub" in text
    assert len(problems) == 4, text


def test_each_listed_difference_is_still_needed():
    # A listed hook, constant or stub gap the fakes no longer have is stale: delete it.
    for path, hooks in TEST_HOOKS.items():
        fake = read_module(ROOT / path)
        assert set(hooks) <= {*fake.functions, *fake.values}, path
    for path, name in DELIBERATE:
        assert name in read_module(ROOT / path).values, (path, name)
    for cls, meth, param in STUB_GAPS:
        fakes = [read_module(ROOT / p).classes.get(cls) for p in (FAKE_MACHINE, REPL_MACHINE)]
        params = {
            p.name
            for info in fakes
            if info and meth in info.methods
            for p in info.signatures(meth)[0].params
        }
        assert param in params, (cls, meth, param)
