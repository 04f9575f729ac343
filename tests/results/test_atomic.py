"""The one atomic-write helper: a failure mid-write leaves nothing, and the two race rules hold."""
from __future__ import annotations

import multiprocessing as mp
import os
import time

import pytest

from strikebench.results.atomic import (
    STALE_SECONDS,
    atomic_file,
    new_temporary_dir,
    publish_directory,
)


class Boom(Exception):
    pass


def _folder(tmp_path, final, text):
    tmp = new_temporary_dir(final)
    (tmp / "data.txt").write_text(text)
    return tmp


def test_a_file_is_written_whole(tmp_path):
    path = tmp_path / "notes" / "a.json"
    with atomic_file(path) as fh:
        fh.write("{}")
    assert path.read_text() == "{}"
    assert os.listdir(path.parent) == ["a.json"]


def test_a_failure_mid_write_leaves_no_file_and_the_old_one_untouched(tmp_path):
    path = tmp_path / "a.json"
    with pytest.raises(Boom):
        with atomic_file(path) as fh:
            fh.write("half")
            raise Boom
    assert os.listdir(tmp_path) == []  # no file, no temporary

    path.write_text("old")
    with pytest.raises(Boom):
        with atomic_file(path, fsync=True) as fh:
            fh.write("new")
            raise Boom
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.json"]


def test_a_later_file_replaces_the_earlier_one(tmp_path):
    path = tmp_path / "a.json"
    for text in ("first", "second"):
        with atomic_file(path, fsync=True) as fh:
            fh.write(text)
    assert path.read_text() == "second" and os.listdir(tmp_path) == ["a.json"]


def test_a_folder_appears_whole_and_no_temporary_stays(tmp_path):
    final = tmp_path / "entry"
    tmp = _folder(tmp_path, final, "one")
    assert tmp.parent == tmp_path and tmp.name.startswith(".tmp-entry-")
    assert not final.exists()  # nothing at the final place until the rename
    assert publish_directory(tmp, final)
    assert (final / "data.txt").read_text() == "one"
    assert os.listdir(tmp_path) == ["entry"]


def test_first_rename_wins_and_the_second_copy_is_discarded(tmp_path):
    final = tmp_path / "entry"
    first, second = _folder(tmp_path, final, "one"), _folder(tmp_path, final, "two")
    assert publish_directory(first, final)
    assert not publish_directory(second, final)
    assert (final / "data.txt").read_text() == "one"
    assert os.listdir(tmp_path) == ["entry"]


def test_replace_puts_the_new_folder_in_place_and_deletes_the_old(tmp_path):
    final = tmp_path / "entry"
    assert publish_directory(_folder(tmp_path, final, "old"), final)
    assert publish_directory(_folder(tmp_path, final, "new"), final, replace=True)
    assert (final / "data.txt").read_text() == "new"
    assert os.listdir(tmp_path) == ["entry"]


def test_a_failed_replace_puts_the_old_folder_back(tmp_path, monkeypatch):
    final = tmp_path / "entry"
    publish_directory(_folder(tmp_path, final, "old"), final)
    tmp = _folder(tmp_path, final, "new")
    real_rename = os.rename

    def rename(src, dst):
        if str(src) == str(tmp):
            raise PermissionError("no")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    # The old copy is back in place and complete: the caller is told ours was not published.
    assert not publish_directory(tmp, final, replace=True)
    assert (final / "data.txt").read_text() == "old"
    assert os.listdir(tmp_path) == ["entry"]


def test_a_failed_rename_with_nothing_in_place_raises_and_leaves_nothing(tmp_path, monkeypatch):
    final = tmp_path / "entry"
    tmp = _folder(tmp_path, final, "one")
    monkeypatch.setattr(os, "rename", lambda src, dst: (_ for _ in ()).throw(PermissionError("read-only")))
    with pytest.raises(PermissionError):
        publish_directory(tmp, final)
    assert os.listdir(tmp_path) == []


def test_complete_decides_whether_a_folder_in_place_counts(tmp_path):
    final = tmp_path / "entry"
    final.mkdir()
    (final / "stray.txt").write_text("not a record")
    tmp = _folder(tmp_path, final, "one")
    with pytest.raises(OSError):  # in place but incomplete: a real error, not a lost race
        publish_directory(tmp, final, complete=lambda path: (path / "data.txt").is_file())
    assert sorted(os.listdir(tmp_path)) == ["entry"]


def test_stale_temporaries_of_killed_jobs_are_removed(tmp_path):
    final = tmp_path / "entry"
    stale = _folder(tmp_path, final, "killed")
    fresh = _folder(tmp_path, final, "running")
    old = time.time() - STALE_SECONDS - 60
    os.utime(stale, (old, old))
    newest = new_temporary_dir(final)
    assert not stale.exists() and fresh.exists() and newest.exists()


def _publisher(args):
    root, value = args
    final = os.path.join(root, "entry")
    tmp = new_temporary_dir(final)
    (tmp / "value.txt").write_text(str(value))
    return publish_directory(tmp, final)


def test_concurrent_publishers_leave_exactly_one_copy(tmp_path):
    with mp.get_context("spawn").Pool(4) as pool:
        won = pool.map(_publisher, [(str(tmp_path), i) for i in range(8)], chunksize=1)
    assert sum(won) == 1
    winner = won.index(True)
    assert (tmp_path / "entry" / "value.txt").read_text() == str(winner)
    assert os.listdir(tmp_path) == ["entry"]


def test_a_checkpoint_on_a_full_disk_is_one_line_naming_the_path(tmp_path):
    from strikebench.errors import WriteError
    from strikebench.results.atomic import checkpoint_write_error

    torch_says = RuntimeError("[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file "
                              "data/0: file write failed")
    err = checkpoint_write_error(torch_says, tmp_path, free_bytes=0)
    assert isinstance(err, WriteError)
    assert str(err) == f"cannot write a checkpoint to {tmp_path}: No space left on device"
    assert checkpoint_write_error(torch_says, tmp_path, free_bytes=10 * 2**30) is None  # room left: not the disk
    assert checkpoint_write_error(RuntimeError("shape mismatch"), tmp_path, free_bytes=0) is None
