"""`vitrine bench NAME`: a summary for people on stdout, only the JSON with --json, for every
benchmark alike. The benchmarks themselves run in their own tests (hil, e2e); here each one's
run function is replaced by one that returns a result of the shape they all share."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from vitrine.bench.summary import summary
from vitrine.bench.targets import judged
from vitrine.cli import main

# (command, module, run function)
BENCHES = [
    ("link", "vitrine.bench.link", "run_link_bench"),
    ("touch", "vitrine.bench.touch", "run_touch_bench"),
    ("daemon", "vitrine.bench.daemon", "run_daemon_bench"),
    ("flash", "vitrine.bench.flash", "run_flash_bench"),
    ("player", "vitrine.bench.player", "run_player_bench"),
    ("catalog", "vitrine.bench.catalog", "run_catalog_bench"),
    ("ble", "vitrine.bench.ble", "run_ble_bench"),
    ("analytics", "vitrine.bench.analytics", "run_analytics_bench"),
]


def a_result(name: str, p99_ms: float) -> dict[str, Any]:
    figures = {
        "bench": name,
        "quick": True,
        "p99_ms": p99_ms,
        "lost": 0,
        "host_counters": {"frames_rx": 828, "crc_errors": 0},
        "roles": ["beacon", "touch"],
        "per_run": [{"ready_s": 0.6}, {"ready_s": 0.7}],
    }
    return {**figures, **judged(figures, {"p99_ms": ("<", 2.0), "lost": ("==", 0)})}


@pytest.fixture(params=BENCHES, ids=[b[0] for b in BENCHES])
def bench(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    name, module, function = request.param
    state: dict[str, Any] = {"name": name, "p99_ms": 7.33}

    def run(progress: Any, **kw: Any) -> dict[str, Any]:
        progress("measuring")
        return a_result(name, state["p99_ms"])

    monkeypatch.setattr(importlib.import_module(module), function, run)
    return state


def test_without_json_a_person_reads_a_summary(
    bench: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    name = bench["name"]
    assert main(["bench", name]) == 1
    out, err = capsys.readouterr()
    assert err == f"bench {name}: measuring\n"
    lines = out.splitlines()
    assert lines[0] == f"bench {name}: FAILED, 1 of 2 checks missed their target"
    assert lines[1].split() == ["MISSED", "p99_ms", "7.33", "target", "<", "2.0"]
    assert lines[2].split() == ["ok", "lost", "0", "target", "==", "0"]
    assert "figures:" in lines
    assert any(line.split() == ["quick", "yes"] for line in lines)
    assert any(line.split() == ["roles", "beacon,", "touch"] for line in lines)
    assert "host_counters  frames_rx 828, crc_errors 0" in out
    assert "per_run        2 entries (--json lists them)" in out
    assert lines[-1] == f"(the whole result as JSON: vitrine bench {name} --json)"
    with pytest.raises(ValueError):
        json.loads(out)


def test_with_json_only_the_result(
    bench: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    name = bench["name"]
    bench["p99_ms"] = 1.5
    assert main(["bench", name, "--json"]) == 0
    out, _ = capsys.readouterr()
    assert out.count("\n") == 1
    assert json.loads(out) == a_result(name, 1.5)


def test_a_passing_run_says_so() -> None:
    text = summary(a_result("link", 0.5))
    assert text.splitlines()[0] == "bench link: passed, all 2 checks met their target"
    assert "MISSED" not in text


def test_a_long_figure_wraps_under_its_value() -> None:
    counters = {f"counter_{n}": n for n in range(30)}
    result = {"bench": "link", "host_counters": counters, **judged({"x": 1}, {"x": ("==", 1)})}
    lines = summary(result).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  host_counters"))
    wrapped = lines[start + 1]
    assert wrapped.startswith(" " * len("  host_counters  ")) and wrapped.strip()
    assert all(len(line) <= 100 for line in lines)
    assert " ".join(" ".join(lines[start:-1]).split()[1:]) == ", ".join(
        f"counter_{n} {n}" for n in range(30)
    )


def test_nested_figures_are_named_by_their_path() -> None:
    lines = {
        "serial_115200": {"baud": 115200, "full": {"total_s": 12.05}, "unchanged_over_full": 0.12},
        "pty_unpaced": {"baud": None, "full": {"total_s": 0.52}},
    }
    result = {"bench": "flash", "lines": lines, **judged({"x": 1}, {"x": ("==", 1)})}
    rows = [line.split(None, 1) for line in summary(result).splitlines()[3:-1]]
    assert rows == [
        ["lines.serial_115200", "baud 115200, unchanged_over_full 0.12"],
        ["lines.serial_115200.full", "total_s 12.05"],
        ["lines.pty_unpaced", "baud -"],
        ["lines.pty_unpaced.full", "total_s 0.52"],
    ]


def test_the_flash_bench_judges_its_ratio_as_the_others_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The flash bench's result has "checks" like every other; the two flashes per line are
    # given (a real run takes half a minute: tests/hil/test_flash.py flashes for real).
    from vitrine.bench import flash
    from vitrine.flash.flash import FlashResult

    async def two_flashes(role: str, baud: int | None) -> tuple[FlashResult, FlashResult]:
        full = FlashResult("pty", role, "abc", 3, written=["a", "b", "c"], copy_s=9.0, boot_s=1.0)
        same = FlashResult(
            "pty", role, "abc", 3, unchanged=["a", "b", "c"], copy_s=1.0 + bool(baud)
        )
        return full, same

    monkeypatch.setattr(flash, "_line", two_flashes)
    result = flash.run_flash_bench()
    assert result["checks"] == {
        "unchanged_over_full_115200": {"value": 0.2, "target": "< 0.2", "pass": False}
    }
    assert result["pass"] is False
    assert result["lines"]["pty_unpaced"]["unchanged_over_full"] == 0.1
