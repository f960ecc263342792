"""The engine tests' fixtures: the sample catalogue, and an engine rig over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import Rig, sample_catalog


@pytest.fixture
def catalog(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    c = sample_catalog(tmp_path, tmp_path_factory.getbasetemp() / "engine-sample")
    yield c
    c.close()


@pytest.fixture
def rig(tmp_path: Path, catalog):
    r = Rig(tmp_path, catalog)
    yield r
    r.store.close()
