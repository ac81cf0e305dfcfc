"""Files written safely: atomic replacement, and clean-up of what a killed write left behind."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

STALE_TEMPORARY_S = 3600  # a temporary file older than this was left by a killed write


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it.

    An OSError (disk full, read-only) names `path`, not the temporary file: the message is for the user.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from exc
        raise


def remove_stale_files(paths: Iterable[Path], older_than_s: float) -> None:
    """Delete the given files last modified more than `older_than_s` seconds ago.

    For what a killed write leaves behind (temporary files, segments no manifest names). The age keeps
    a file another process is writing right now."""
    now = time.time()
    for path in paths:
        try:
            if now - path.stat().st_mtime > older_than_s:
                path.unlink()
        except OSError:
            continue  # gone already, or not ours to delete: the next cleanup tries again
