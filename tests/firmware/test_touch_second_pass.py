"""The adaptive scan's second pass (vitrine_fw.touch.Pipeline._choose): on the recorded runs
(tests/vectors/touch.json) every pass it chose reads oblique beams only, each in the slot its
emitter's step in the full scan gives it, so that each reading is taken at the moments of its
step its baseline was (plan.part_step; tests/firmware/test_scan_timing.py checks the PIO's
words for such steps)."""

import json
from pathlib import Path

import pytest
from touch_replay import load

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "touch.json"
RUNS = json.loads(VECTORS.read_text(encoding="utf-8"))["runs"]


def moments(plan):
    """beam -> (its dark reading after its step began, its lit one after its emitter went
    on), in PIO cycles, for every reading of a plan."""
    out = {}
    start = 0
    for s in range(plan.n_steps):
        on = plan.step_on_c[s]
        for i in range(plan.step_first[s], plan.step_first[s] + plan.step_count[s]):
            out[plan.beam[i]] = (plan.dark_c[i] - start, plan.lit_c[i] - on)
        start = plan.step_off_c[s] - 1 + plan.timing.off_c
    return out


@pytest.mark.parametrize("run", RUNS, ids=[r["name"] for r in RUNS])
def test_the_second_pass_reads_oblique_beams_when_the_full_scan_does(run):
    pipe, _, _ = load(run)
    g = pipe.geometry
    full = moments(pipe.full)
    pipe.start()
    chosen = 0
    for _ in run["steps"]:
        pipe.step()
        plan = pipe.second  # chosen in this step for the next
        if not plan.n or pipe.next is not pipe.first:
            continue
        chosen += 1
        whole = sum(pipe.fan_n[(plan.step_axis[s] << 8) + plan.step_emitter[s]]
                    for s in range(plan.n_steps))  # fmt: skip
        assert plan.n < whole  # part of the emitters' fans, not all of them
        for b, at in moments(plan).items():
            assert g.fam_shift[g.beam_family[b]] != 0, f"straight beam {b} read again"
            assert at == full[b], f"beam {b} read at {at}, in the full scan at {full[b]}"
    # with a few fingers on the glass (more than 3 shadows an axis: every beam, no second)
    few = any(1 <= len(step["fingers"]) <= 3 for step in run["steps"])
    assert chosen > 0 if few else chosen == 0
