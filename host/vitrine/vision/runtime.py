"""onnxruntime sessions for the manifest's models: the file verified first (SHA-256), the CPU
provider, a fixed number of threads, and onnxruntime's own log kept to errors (some converted
models make it warn about every initializer at load)."""

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
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own types for a file it cannot read
        raise ModelError(f"model {name}: {path} does not load: {err}") from err
