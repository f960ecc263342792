"""`vitrine experiments`: the configured experiments' results read from a real events.db."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import fisher_exact

from vitrine.cli import main
from vitrine.engine.store import EventStore

CONFIG = """
[data]
dir = "{data}"

[[experiment]]
name = "browse-layout"
screen = "browse"
outcome = "request"
variants = [{{ name = "grid" }}, {{ name = "carousel" }}]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    with EventStore.open(data / "events.db") as store:
        # grid: 40 exposed, 8 requested; carousel: 40 exposed, 20 requested
        for variant, converted in (("grid", 8), ("carousel", 20)):
            for n in range(40):
                session = f"{variant}-{n}"
                store.session_started(session, "mirror-1", "engaged", 1.0)
                store.add_exposure(session, "browse-layout", variant, 2.0)
                if n < converted:
                    store.add_outcome(session, "browse-layout", variant, "request", 3.0)
    path = tmp_path / "vitrine.toml"
    path.write_text(CONFIG.format(data=data))
    return path


def test_results_as_json_with_the_test(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiments", "--config", str(config), "--json"]) == 0
    (result,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert result["experiment"] == "browse-layout"
    rows = {v["name"]: (v["exposed"], v["converted"]) for v in result["variants"]}
    assert rows == {"grid": (40, 8), "carousel": (40, 20)}
    _, p_fisher = fisher_exact([[8, 32], [20, 20]])
    assert result["p_value"] < 0.05
    assert result["significant"] is True
    assert result["p_value"] == pytest.approx(p_fisher, rel=0.5)  # same evidence, either test


def test_a_table_for_people(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiments", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "browse-layout (screen browse, outcome request)" in out
    assert "  grid                  8 / 40       20.0%  [10.5%, 34.8%]\n" in out
    assert "  carousel             20 / 40       50.0%  [35.2%, 64.8%]\n" in out
    assert "carousel converts 50.0% vs grid 20.0% (lift +150%)" in out
    assert "significant at 5%" in out


def test_unknown_experiment_and_missing_database_are_named(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["experiments", "--config", str(config), "colour"]) == 2
    assert "no experiment colour in the config (known: browse-layout)" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main(["experiments", "--config", str(config), "--data-dir", str(empty)])
    assert code == 2
    assert f"no events database at {empty / 'events.db'}" in capsys.readouterr().err


def test_demo_reads_the_running_demos_data(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The running demo's record names its data folder (this process stands for the demo's).
    from vitrine.cli.demo_record import write_record
    from vitrine.sim.control import default_state_dir

    default_state_dir().mkdir(parents=True, exist_ok=True)
    write_record(default_state_dir(), "http://127.0.0.1:8080/", tmp_path / "data")
    assert main(["experiments", "--demo", "--json"]) == 0
    (result,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert result["experiment"] == "browse-layout"  # the demo's, in vitrine/demo.toml
    exposed = {v["name"]: v["exposed"] for v in result["variants"]}
    assert exposed == {"grid": 40, "carousel": 40}


def test_no_data_says_which_file_was_read_and_how_to_get_some(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from vitrine.sim.control import default_state_dir

    data = default_state_dir() / "data"  # where the demo keeps its data when none runs
    data.mkdir(parents=True)
    with EventStore.open(data / "events.db") as store:
        store.session_started("s1", "mirror-1", "engaged", 1.0)  # a session, never on browse
    assert main(["experiments", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "  no data yet\n" in out
    said = " ".join(out.split())  # the explanations wrap at 100 characters
    assert (
        f"no data yet (no session in {data / 'events.db'} has reached the browse screen yet, "
        "where a session is given a variant and counted) To get data in the demo: start a "
        "session on the demo's mirror (a touch, or the command below), then open the browse "
        "screen (a category on the home screen opens browse); each session counts once."
    ) in said
    assert out.splitlines()[-1].endswith("vitrine sim visitor approach")
    assert all(len(line) <= 100 for line in out.splitlines())


def test_demo_without_an_events_database_says_the_demo_has_not_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from vitrine.sim.control import default_state_dir

    assert main(["experiments", "--demo"]) == 2
    err = capsys.readouterr().err
    path = default_state_dir() / "data" / "events.db"
    assert f"no events database at {path}: the demo has not run with this data folder" in err
