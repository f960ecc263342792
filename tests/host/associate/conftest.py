"""Fixtures for the associate app's tests: a rig (real engine, stores and bus) per test over
one sample catalogue export per run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.host.associate.rig import Rig
from tests.host.engine.harness import sample_catalog


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sample")


@pytest.fixture
def rig(tmp_path: Path, sample_csv: Path) -> Iterator[Rig]:
    catalog = sample_catalog(tmp_path, sample_csv)
    rig = Rig(tmp_path, catalog)
    yield rig
    rig.close()
    catalog.close()
