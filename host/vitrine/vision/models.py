"""The model manifest (models/manifest.toml) and the model files it names: where they are
looked for, whether one is installed, missing or corrupt, and installing them from a folder
or from their upstream address with the SHA-256 checked before a file takes its place.

A file is used only after its SHA-256 matched the manifest's (`verified()`), so a truncated
download or a swapped file never reaches onnxruntime. Installing writes to a temporary file
beside the target and renames it over the target only once its digest matched: a mismatch
leaves what was there before untouched.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vitrine.errors import VitrineError
from vitrine.paths import PROJECT_ROOT, shared_dir, state_dir

Status = Literal["installed", "missing", "corrupt"]
_BLOCK = 1 << 20
_FIELDS = ("name", "file", "sha256", "size", "licence", "upstream", "input", "decoding")


class ModelError(VitrineError):
    """A model is missing, corrupt, or the manifest is wrong (the message says which)."""


class ModelMissing(ModelError):
    """No folder holds the model's file."""


class ModelCorrupt(ModelError):
    """The model's file is there, but its SHA-256 is not the manifest's."""


@dataclass(frozen=True)
class ModelEntry:
    """One model of the manifest."""

    name: str
    file: str
    sha256: str
    size: int
    licence: str
    upstream: str
    input: str
    decoding: str
    labels: tuple[str, ...] = ()
    url: str | None = None
    required: bool = True


def manifest_path() -> Path:
    """models/manifest.toml of the project, or $VITRINE_MODELS_MANIFEST."""
    return Path(os.environ.get("VITRINE_MODELS_MANIFEST", PROJECT_ROOT / "models/manifest.toml"))


def load_manifest(path: Path | None = None) -> dict[str, ModelEntry]:
    """The manifest's models by name; raises ModelError naming the entry and the field."""
    path = path or manifest_path()
    try:
        data = tomllib.loads(path.read_text())
    except OSError as err:
        raise ModelError(f"cannot read the model manifest {path}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"{path}: not valid TOML: {err}") from err
    entries: dict[str, ModelEntry] = {}
    for i, raw in enumerate(data.get("model", [])):
        entry = _entry(raw, f"{path}: model[{i}]")
        if entry.name in entries:
            raise ModelError(f"{path}: model name {entry.name!r} appears twice")
        entries[entry.name] = entry
    return entries


def _entry(raw: Mapping[str, Any], where: str) -> ModelEntry:
    missing = [f for f in _FIELDS if f not in raw]
    if missing:
        raise ModelError(f"{where}: missing {', '.join(missing)}")
    sha = str(raw["sha256"]).lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):  # noqa: PLR2004
        raise ModelError(f"{where}.sha256={raw['sha256']!r}: allowed 64 hexadecimal digits")
    size = raw["size"]
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ModelError(f"{where}.size={size!r}: allowed a whole number of bytes above 0")
    name, file = str(raw["name"]), str(raw["file"])
    if Path(file).name != file or file in ("", ".", ".."):
        raise ModelError(f"{where}.file={file!r}: allowed a plain file name")
    return ModelEntry(
        name=name,
        file=file,
        sha256=sha,
        size=size,
        licence=str(raw["licence"]),
        upstream=str(raw["upstream"]),
        input=str(raw["input"]),
        decoding=str(raw["decoding"]),
        labels=tuple(str(x) for x in raw.get("labels", ())),
        url=raw.get("url"),
        required=bool(raw.get("required", True)),
    )


def model_folders(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Where model files are looked for, in order: $VITRINE_MODELS_DIR, the state folder's
    models/ (an installed mirror), the shared folder beside a source checkout."""
    folders = [Path(environ["VITRINE_MODELS_DIR"])] if environ.get("VITRINE_MODELS_DIR") else []
    return [*folders, state_dir() / "models", shared_dir() / "models"]


def install_folder() -> Path:
    """Where `vitrine models install` puts files by default: the state folder's models/."""
    return state_dir() / "models"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def status(entry: ModelEntry, folder: Path) -> Status:
    """Whether the model's file in this folder is there and has the manifest's digest."""
    path = folder / entry.file
    if not path.is_file():
        return "missing"
    if path.stat().st_size != entry.size or sha256_file(path) != entry.sha256:
        return "corrupt"
    return "installed"


_verified: dict[tuple[str, int, int], str] = {}


def verified(entry: ModelEntry, folders: Iterable[Path] | None = None) -> Path:
    """The first file of this model, among the folders, whose SHA-256 matches the manifest;
    raises ModelError saying where it looked and what it found (missing or corrupt)."""
    folders = list(folders) if folders is not None else model_folders()
    found: list[str] = []
    for folder in folders:
        path = folder / entry.file
        try:
            st = path.stat()
        except OSError:
            continue
        key = (str(path), st.st_size, st.st_mtime_ns)
        digest = _verified.get(key)
        if digest is None:
            digest = sha256_file(path)
            _verified[key] = digest
        if digest == entry.sha256:
            return path
        found.append(f"{path} (SHA-256 {digest[:12]}..., expected {entry.sha256[:12]}...)")
    where = ", ".join(str(f) for f in folders)
    if found:
        raise ModelCorrupt(
            f"model {entry.name}: corrupt: {'; '.join(found)}; "
            f"install it again: vitrine models install {entry.name}"
        )
    raise ModelMissing(
        f"model {entry.name}: {entry.file} is not in {where}; "
        f"install it: vitrine models install [--from DIR] {entry.name}"
    )


def find(name: str, folders: Iterable[Path] | None = None) -> Path:
    """The verified file of the manifest's model `name` (see verified())."""
    entries = load_manifest()
    if name not in entries:
        raise ModelError(f"no model {name!r} in the manifest; known: {', '.join(entries)}")
    return verified(entries[name], folders)


Progress = Callable[[str, int, int], None]  # (model name, bytes so far, bytes in all)


def install(
    entry: ModelEntry,
    to: Path,
    *,
    source: Path | None = None,
    progress: Progress | None = None,
    opener: Callable[..., Any] = urllib.request.urlopen,
) -> Path:
    """Put the model's file into the folder `to`: copied from the folder `source`, or else
    downloaded from its url. The copy is checked (size, SHA-256) before it replaces anything;
    raises ModelError when it does not match, when the source lacks the file, or when the
    model has no url and no source was given."""
    to.mkdir(parents=True, exist_ok=True)
    target = to / entry.file
    if source is not None:
        origin = source / entry.file
        if not origin.is_file():
            raise ModelError(f"model {entry.name}: {origin} does not exist")
        with origin.open("rb") as f:
            return _write_checked(entry, target, _blocks(f), progress)
    if not entry.url:
        raise ModelError(
            f"model {entry.name}: no download address (it is converted from "
            f"{entry.upstream}); install it from a folder: vitrine models install --from DIR"
        )
    try:
        with opener(entry.url, timeout=60) as response:
            return _write_checked(entry, target, _blocks(response), progress)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", None) or err
        raise ModelError(f"model {entry.name}: cannot download {entry.url}: {reason}") from err


def _blocks(stream: Any) -> Iterable[bytes]:
    while block := stream.read(_BLOCK):
        yield block


def _write_checked(
    entry: ModelEntry, target: Path, blocks: Iterable[bytes], progress: Progress | None
) -> Path:
    digest = hashlib.sha256()
    done = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{entry.file}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in blocks:
                done += len(block)
                if done > entry.size:
                    raise ModelError(
                        f"model {entry.name}: more than the manifest's {entry.size} bytes; "
                        "refused, nothing replaced"
                    )
                digest.update(block)
                out.write(block)
                if progress:
                    progress(entry.name, done, entry.size)
        if done != entry.size or digest.hexdigest() != entry.sha256:
            raise ModelError(
                f"model {entry.name}: {done} bytes with SHA-256 {digest.hexdigest()}, "
                f"the manifest says {entry.size} bytes with {entry.sha256}; "
                "refused, nothing replaced"
            )
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
