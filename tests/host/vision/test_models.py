"""The model manifest and installer: SHA-256 checked before a file is used or installed, a
mismatch refused with nothing replaced, downloads from a local HTTP server (never the
internet), and `vitrine models list/install`."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.host.vision.conftest import MODELS, needs_models
from vitrine.cli import main
from vitrine.vision import models as m


def entry(name: str, data: bytes, url: str | None = None, required: bool = True) -> m.ModelEntry:
    return m.ModelEntry(
        name=name,
        file=f"{name}.onnx",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        licence="MIT",
        upstream="a test",
        input="-",
        decoding="-",
        url=url,
        required=required,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server over a folder: (base URL, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_project_manifest_reads_and_names_what_the_pipeline_needs() -> None:
    entries = m.load_manifest()
    for name in ("face_detector", "expression", "person_detector", "palm_detector"):
        assert entries[name].required
    assert entries["face_embedding"].file == "mobileface_v2.onnx"
    assert not entries["face_embedding_sface"].required
    assert entries["face_embedding_sface"].url
    assert entries["expression"].labels[3] == "happy"


@needs_models
def test_the_manifest_digests_are_the_shared_models() -> None:
    sums = {}
    for line in (MODELS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    for e in m.load_manifest().values():
        if e.required:
            assert sums[e.file] == e.sha256, e.name
            assert (MODELS / e.file).stat().st_size == e.size, e.name
            assert m.verified(e, [MODELS]) == MODELS / e.file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[model]]\nname = "x"\n', "missing file, sha256"),
        (
            '[[model]]\nname="x"\nfile="x.onnx"\nsha256="abc"\nsize=1\nlicence=""\n'
            'upstream=""\ninput=""\ndecoding=""\n',
            "sha256='abc': allowed 64 hexadecimal digits",
        ),
        (
            f'[[model]]\nname="x"\nfile="../x.onnx"\nsha256="{"a" * 64}"\nsize=1\nlicence=""\n'
            'upstream=""\ninput=""\ndecoding=""\n',
            "file='../x.onnx': allowed a plain file name",
        ),
        ("[[model]\n", "not valid TOML"),
    ],
)
def test_a_bad_manifest_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "manifest.toml"
    path.write_text(text)
    with pytest.raises(m.ModelError, match=r"manifest\.toml") as err:
        m.load_manifest(path)
    assert message in str(err.value)


def test_verified_takes_the_first_folder_whose_file_matches(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    e = entry("face", b"weights")
    with pytest.raises(m.ModelMissing, match=r"face\.onnx is not in"):
        m.verified(e, [a, b])
    (a / "face.onnx").write_bytes(b"weighTs")
    with pytest.raises(m.ModelCorrupt, match="corrupt"):
        m.verified(e, [a])
    (b / "face.onnx").write_bytes(b"weights")
    assert m.verified(e, [a, b]) == b / "face.onnx"  # the corrupt one is passed over
    assert (m.status(e, a), m.status(e, b)) == ("corrupt", "installed")


def test_install_from_a_folder_checks_before_replacing(tmp_path: Path) -> None:
    src, to = tmp_path / "src", tmp_path / "to"
    src.mkdir()
    e = entry("face", b"the right weights")
    (src / "face.onnx").write_bytes(b"the wrong weights")
    with pytest.raises(m.ModelError, match="refused, nothing replaced"):
        m.install(e, to, source=src)
    assert list(to.iterdir()) == []  # no temporary file left either
    (src / "face.onnx").write_bytes(b"the right weights")
    assert m.install(e, to, source=src) == to / "face.onnx"
    assert m.status(e, to) == "installed"
    # a bad copy later leaves the good one in place
    (src / "face.onnx").write_bytes(b"the right weightz")
    with pytest.raises(m.ModelError):
        m.install(e, to, source=src)
    assert (to / "face.onnx").read_bytes() == b"the right weights"


def test_download_from_the_upstream_address_with_progress(
    tmp_path: Path, server: tuple[str, Path]
) -> None:
    base, root = server
    data = bytes(range(256)) * 10_000  # 2.5 MB: several blocks
    (root / "face.onnx").write_bytes(data)
    e = entry("face", data, url=f"{base}/face.onnx")
    seen: list[int] = []
    path = m.install(e, tmp_path / "to", progress=lambda name, done, total: seen.append(done))
    assert path.read_bytes() == data
    assert seen[-1] == len(data) and len(seen) >= 3 and seen == sorted(seen)


def test_a_download_that_does_not_match_is_refused(
    tmp_path: Path, server: tuple[str, Path]
) -> None:
    base, root = server
    (root / "face.onnx").write_bytes(b"tampered")
    e = entry("face", b"original", url=f"{base}/face.onnx")
    to = tmp_path / "to"
    to.mkdir()
    (to / "face.onnx").write_bytes(b"original")
    with pytest.raises(m.ModelError, match="refused, nothing replaced"):
        m.install(e, to)
    assert (to / "face.onnx").read_bytes() == b"original"
    assert sorted(p.name for p in to.iterdir()) == ["face.onnx"]
    missing = entry("gone", b"x", url=f"{base}/gone.onnx")
    with pytest.raises(m.ModelError, match=r"cannot download .*gone\.onnx"):
        m.install(missing, to)
    with pytest.raises(m.ModelError, match="no download address"):
        m.install(entry("converted", b"x"), to)


def _manifest(tmp_path: Path, entries: list[m.ModelEntry]) -> Path:
    lines = []
    for e in entries:
        lines += [
            "[[model]]",
            f'name = "{e.name}"',
            f'file = "{e.file}"',
            f'sha256 = "{e.sha256}"',
            f"size = {e.size}",
            'licence = "MIT"',
            'upstream = "test"',
            'input = "-"',
            'decoding = "-"',
            f"required = {'true' if e.required else 'false'}",
        ]
        if e.url:
            lines.append(f'url = "{e.url}"')
    path = tmp_path / "manifest.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_commands_install_and_list(
    tmp_path: Path,
    server: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, root = server
    (root / "person.onnx").write_bytes(b"person weights")
    src = tmp_path / "src"
    src.mkdir()
    (src / "face.onnx").write_bytes(b"face weights")
    entries = [
        entry("face", b"face weights"),
        entry("person", b"person weights", url=f"{base}/person.onnx"),
        entry("extra", b"extra", required=False),
    ]
    monkeypatch.setenv("VITRINE_MODELS_MANIFEST", str(_manifest(tmp_path, entries)))
    to = tmp_path / "installed"
    assert main(["models", "list", "--in", str(to), "--json"]) == 1
    listed = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in listed["models"]] == ["missing"] * 3

    assert main(["models", "install", "--from", str(src), "--to", str(to), "face"]) == 0
    assert main(["models", "install", "--to", str(to), "person"]) == 0
    out = capsys.readouterr()
    assert "face: installed" in out.out and "person: installed" in out.out
    assert "person: 100% of" in out.err  # download progress
    (to / "face.onnx").write_bytes(b"face weightz")
    assert main(["models", "list", "--in", str(to)]) == 1
    text = capsys.readouterr().out
    assert "face" in text and "corrupt" in text and "(optional)" in text
    assert main(["models", "install", "--to", str(to), "nope"]) == 2
    assert "no model nope in the manifest" in capsys.readouterr().err
