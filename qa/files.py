"""Files read and written safely: check before reading, atomic replacement, one writer at a time, clean-up."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

STALE_TEMPORARY_S = 3600  # a temporary file older than this was left by a killed write
WRITER_LOCK = ".writer.lock"  # in the index folder: held by the process that writes sources/ or index/
WAIT_NOTICE_S = 0.5  # a writer that waits longer than this says so (once)
READ_CHUNK = 1 << 20


class RefusedFile(ValueError):
    """A file that is not read: not a regular file, a link out of its folder, or too large; the message says
    which, for the user."""


class WriterBusy(TimeoutError):
    """Another writer held the lock longer than we may wait; the message says what to do."""


def too_big(name: str, size: int, max_bytes: int, setting: str = "QA_MAX_SOURCE_BYTES") -> str:
    return f"{name}: {size:,} bytes is over the limit of {max_bytes:,} bytes ({setting})"


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def read_checked(path: Path, max_bytes: int | None, within: Path | None = None,
                 setting: str = "QA_MAX_SOURCE_BYTES") -> bytes:
    """The bytes of a regular file, checked before they are read.

    A FIFO blocks `open` until a writer comes, a device such as /dev/zero never ends and a sparse file can
    claim gigabytes it does not hold: so the file is opened without blocking, checked on the open descriptor
    (what is checked is what is read), refused when its size is over `max_bytes`, and read to at most
    `max_bytes + 1` bytes in case it grows meanwhile. With `within`, a symbolic link is followed only when
    it resolves inside that folder (a link in sources/ must not turn /etc/passwd into a source); without,
    the caller named the path itself and a link to a regular file is read. `setting` names the limit's
    variable in the message.
    """
    name = path.name
    target = path
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    if within is not None:
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(os.path.realpath(within)):
            raise RefusedFile(f"{name}: a link to a file outside {Path(within).name}/ (only links inside it "
                              "are followed)")
        flags |= os.O_NOFOLLOW  # the resolved path itself: a link swapped in since is not followed
    fd = os.open(target, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a file")
            raise RefusedFile(f"{name}: not a regular file ({kind}); only regular files are read")
        if max_bytes is not None and info.st_size > max_bytes:
            raise RefusedFile(too_big(name, info.st_size, max_bytes, setting))
        limit = info.st_size if max_bytes is None else max_bytes
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, READ_CHUNK if max_bytes is None else min(READ_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if max_bytes is not None and total > max_bytes:
                raise RefusedFile(too_big(name, total, max_bytes, setting) + " (it grew while read)")
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it; `mode` sets its permissions
    (the temporary file is created 0600).

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
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from exc
        raise


@contextmanager
def folder_made_whole(folder: Path) -> Iterator[Path]:
    """A fresh temporary folder beside `folder` for the block to fill, renamed to `folder` when the block ends
    without an error (an incomplete `folder` left earlier replaced), removed otherwise. Two processes making
    the same folder at once both succeed: the second rename fails and the first's folder, the same
    content, stays."""
    import shutil

    temporary = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        yield temporary
        shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(temporary, folder)
        except OSError:
            pass
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


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


# ---- one writer at a time --------------------------------------------------------------------------

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()
_held = threading.local()  # lock path -> depth, per thread: a writer may call another writer


@contextmanager
def writer_lock(folder: Path, wait_s: float) -> Iterator[None]:
    """Hold the writer lock of `folder` (the index folder): one writer at a time, across threads and processes.

    Two `qa add` racing for one id, or an add landing while a rebuild writes a manifest without it, lose an
    article; readers never take this lock, so answers keep coming from the last committed index. The lock is
    an `flock` on `<folder>/.writer.lock`, which the kernel releases when its process dies (a SIGKILL leaves
    nothing to clean), plus a lock per process for its threads (an flock is shared by a process's threads).
    Re-entrant in one thread. Waits up to `wait_s` seconds, saying so once, then raises WriterBusy.
    """
    path = str(Path(folder).resolve() / WRITER_LOCK)
    depth = getattr(_held, "depth", None)
    if depth is None:
        depth = _held.depth = {}
    if depth.get(path):
        depth[path] += 1
        try:
            yield
        finally:
            depth[path] -= 1
        return
    with _thread_locks_guard:
        in_process = _thread_locks.setdefault(path, threading.Lock())
    deadline = time.monotonic() + wait_s
    told = False

    def waited(acquired: bool) -> bool:
        nonlocal told
        if acquired:
            return True
        if time.monotonic() >= deadline:
            raise WriterBusy(f"another writer has held {Path(folder)} for over {wait_s:g} s (an index build or "
                             "an add); try again when it has finished (QA_WRITER_WAIT_S sets the wait)")
        if not told:
            log.warning("another qa process is writing %s; waiting for it (up to %g s)", folder, wait_s)
            told = True
        return False

    while not waited(in_process.acquire(timeout=WAIT_NOTICE_S)):
        pass
    try:
        fd = _open_lock_file(Path(path))
        try:
            while not waited(_try_flock(fd)):
                time.sleep(0.05)
            depth[path] = 1
            try:
                yield
            finally:
                depth.pop(path, None)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        in_process.release()


def _open_lock_file(path: Path) -> int:
    """The lock file, created if needed; read-only when the folder is (then the write itself fails later,
    with the message that names the file it could not write)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC) and path.exists():
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from exc


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
