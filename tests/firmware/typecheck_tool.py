"""tools/firmware_typecheck.py, loaded for the tests (tools/ is no package)."""

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "tools" / "firmware_typecheck.py"
_spec = importlib.util.spec_from_file_location("firmware_typecheck", _PATH)
assert _spec and _spec.loader
typecheck = importlib.util.module_from_spec(_spec)
sys.modules["firmware_typecheck"] = typecheck  # its dataclasses look their module up
_spec.loader.exec_module(typecheck)
