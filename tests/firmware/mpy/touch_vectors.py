# The recorded touch scan passes (/vectors/touch.json) through the touch Pipeline under
# MicroPython: every run started and stepped as on the board. Prints one RESULT line:
# {"runs": {name: {"reports": [hex per step], "failed": [beam...], "mismatches": n,
#  "geometry": {...}}}, "failures": {name: error}}, geometry being the frame's beam tables as
# MicroPython built them (the recorded passes are in CPython's beam order), mismatches the
# passes whose beams were not those the pipeline's plans asked for.
# tests/firmware/test_touch_firmware.py compares it all with CPython.

import json

from fw_scenario import RESULT_MARK
from touch_replay import geometry_tables, replay

from vitrine_fw.touch.geometry import Geometry


def main():
    with open("/vectors/touch.json") as f:
        doc = json.load(f)
    runs = {}
    failures = {}
    for run in doc["runs"]:
        try:
            tables = geometry_tables(Geometry(run["frame"]))
            reports, failed, mismatches = replay(run)
            runs[run["name"]] = {
                "reports": reports,
                "failed": failed,
                "mismatches": mismatches,
                "geometry": tables,
            }
        except Exception as err:
            failures[run["name"]] = f"{type(err).__name__}: {err}"
    print(RESULT_MARK + json.dumps({"runs": runs, "failures": failures}))


main()
