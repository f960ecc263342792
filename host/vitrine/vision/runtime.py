"""onnxruntime sessions for the manifest's models: the file verified first (SHA-256), the CPU
provider, a fixed number of threads, and onnxruntime's own log kept to errors (some converted
models make it warn about every initializer at load).

The threads do not spin: by default onnxruntime's pool threads busy-wait after each run for
the next one, which on the mirror's two cores takes CPU from the next model's run (five
sessions, each with its own pool) and from the daemon. Measured here with the face, palm and
expression models run one after another (2 cores, load 8, 40 interleaved runs): median 110 ms
without spinning against 124 ms with it on 2 threads, 90 against 101 ms on 1 thread."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vitrine.vision.models import ModelError, find

_ERRORS_ONLY = 3  # onnxruntime's log severity: 0 verbose .. 4 fatal


def load(name: str, threads: int = 1, folders: Iterable[Path] | None = None) -> Any:
    """An InferenceSession of the manifest's model `name`, from its verified file; raises
    ModelError when the file is missing, corrupt or does not load."""
    import onnxruntime as ort

    path = find(name, folders)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = _ERRORS_ONLY
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own types for a file it cannot read
        raise ModelError(f"model {name}: {path} does not load: {err}") from err
