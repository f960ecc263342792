# Every firmware source file through MicroPython's own compiler, then every module that needs
# no hardware imported for real. Catches what CPython accepts and the board refuses (e.g.
# const() of another module's name is a SyntaxError on MicroPython). Files live under /fw.
# Prints one RESULT line: {"compiled": [path...], "imported": [module...],
# "failures": {path or module: error}}.

import json
import os

from fw_scenario import RESULT_MARK

# Modules that import `machine` and friends are only compiled here; tests/firmware/test_hal.py
# imports hal against a fake machine.
NEEDS_HARDWARE = ("vitrine_fw.hal",)


def sources(top):
    out = []
    for name, kind, *_ in os.ilistdir(top):
        path = top + "/" + name
        if kind == 0x4000:
            out.extend(sources(path))
        elif name.endswith(".py"):
            out.append(path)
    return out


def main():
    compiled = []
    imported = []
    failures = {}
    for path in sorted(sources("/fw")):
        with open(path) as f:
            text = f.read()
        try:
            compile(text, path, "exec")
            compiled.append(path)
        except Exception as err:
            failures[path] = f"{type(err).__name__}: {err}"
    for path in compiled:
        if not path.startswith("/fw/lib/") or path.endswith("/__init__.py"):
            continue
        module = path[len("/fw/lib/") : -len(".py")].replace("/", ".")
        if module in NEEDS_HARDWARE:
            continue
        try:
            __import__(module)
            imported.append(module)
        except Exception as err:
            failures[module] = f"{type(err).__name__}: {err}"
    print(
        RESULT_MARK + json.dumps({"compiled": compiled, "imported": imported, "failures": failures})
    )


main()
