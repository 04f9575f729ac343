"""Write files and folders so that a reader sees all of them or nothing: temporary, then rename.

Every writer of strikebench goes through here: cell records, failure notes, the preprocessed
cache, generated and downloaded datasets, exports. Temporaries are hidden siblings of their
final place (``.tmp-<name>-...``, same file system, so the rename is atomic) and are removed
when the write fails. Two jobs that publish the same folder race in one of two ways, chosen by
the caller:

- first rename wins (``replace=False``): a cell record, a cache entry, a generated dataset is
  the same whoever writes it, so the second job discards its copy (``publish_directory`` says
  False) and keeps what is in place;
- replace (``replace=True``): an invalid cache entry, a re-downloaded dataset, an export the user
  asked to overwrite. The old folder is moved aside, the new one renamed in, and the old one
  deleted; if the rename fails the old folder is put back.

A single file (``atomic_file``) always replaces: the last writer wins, never half a file.
:func:`check_writable` is the check before a cell starts that its folders can be written, and
:func:`write_error` turns a read-only or full disk met later into one line naming the path.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

from strikebench.errors import ConfigError, WriteError

STALE_SECONDS = 24 * 3600  # temporaries of jobs killed mid-write are removed after this
# A disk that is full or read-only, or a folder this process may not write: the user's to fix.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def _prefix(final: Path) -> str:
    return f".tmp-{final.name}-"


def remove_stale_temporaries(final: Path, older_than: float = STALE_SECONDS) -> None:
    """Remove the temporaries of ``final`` left by jobs killed mid-write (older than ``older_than`` s)."""
    now = time.time()
    for path in final.parent.glob(_prefix(final) + "*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > older_than:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()


def new_temporary_dir(final: str | Path) -> Path:
    """An empty folder beside ``final`` to write into before ``publish_directory``.

    Creates ``final``'s parent; raises OSError where it cannot be written.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(final)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(final), dir=final.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the data root and results may be shared
    return tmp


def publish_directory(tmp: str | Path, final: str | Path, replace: bool = False,
                      complete: Callable[[Path], bool] = Path.is_dir) -> bool:
    """Rename ``tmp`` to ``final``; True if ours is now in place.

    False if another job's copy was in place already (``complete(final)``): ours is discarded.
    ``replace``: an existing ``final`` is moved aside first and deleted once ours is in place.
    Any other failure removes ``tmp`` and raises the OSError.
    """
    tmp, final = Path(tmp), Path(final)
    aside = None
    if replace and final.exists():
        aside = final.parent / f"{_prefix(final)}old-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(final, aside)
        except OSError:  # another job moved it already
            aside = None
    try:
        os.rename(tmp, final)  # atomic; fails when final exists and is not empty
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if aside is not None:
            with contextlib.suppress(OSError):
                os.rename(aside, final)  # put the old copy back (unless another job's is there)
            shutil.rmtree(aside, ignore_errors=True)
        if complete(final):
            return False
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return True


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "w", fsync: bool = False, **open_kwargs) -> Iterator:
    """``with atomic_file(path) as fh: ...`` writes ``path`` whole or not at all.

    The file is written beside ``path`` and renamed over it when the block ends without an
    error (the last writer wins); on an error the temporary is removed and ``path`` is left
    as it was. ``fsync``: flush the file to disk before the rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), dir=path.parent)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp makes it private; results may be shared
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_writable(folder, field: str) -> None:
    """A ConfigError naming ``field`` unless a file can be created in ``folder`` (or, while it does
    not exist, in the nearest folder above it, where it would be made). A temporary file is
    created and removed: nothing stays."""
    if folder is None:
        raise ConfigError(field, "missing from the config", "a folder this process can write to")
    folder = Path(str(folder)).expanduser()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-writable-", dir=existing)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise ConfigError(field, f"cannot write to {folder} ({exc.strerror or exc} at {existing})",
                          "a folder this process can write to, on a disk with free space") from None


def write_error(exc: OSError, path, what: str) -> WriteError | None:
    """The one-line error for ``exc`` met writing ``what`` at ``path``, if it is a disk's
    (full, read-only, no permission); None for any other error, which is a bug to show whole."""
    if getattr(exc, "errno", None) not in DISK_ERRNOS:
        return None
    return WriteError(f"cannot write {what} to {path}: {exc.strerror or exc}")


def checkpoint_write_error(exc: RuntimeError, path, free_bytes: int) -> WriteError | None:
    """torch.save on a full disk raises RuntimeError ("PytorchStreamWriter failed writing file
    ..."), not OSError: the same one line when that is the message and ``path``'s disk has less
    than a megabyte free; None otherwise (a bug to show whole)."""
    if "PytorchStreamWriter failed" not in str(exc) or free_bytes >= 2**20:
        return None
    return WriteError(f"cannot write a checkpoint to {path}: No space left on device")

