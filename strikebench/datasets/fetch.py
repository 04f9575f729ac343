"""Download a registry dataset, check it, and unpack it into ``<data_root>/<name>``.

Nothing half-done is ever left in ``data_root``: the archive goes to a temporary file and is
unpacked into a temporary directory beside the target, both removed on any failure, and the
directory is renamed into place only once it checks out. RecBole publishes no checksums, so the
sha256 of the first download is recorded in ``<data_root>/<name>/.strikebench-checksum.json``
and every later download must match it (or the ``sha256`` published in the registry entry).

Command line (wired as ``strikebench data ...``)::

    strikebench data list [--data-root DIR]
    strikebench data fetch NAME [--data-root DIR] [--force] [--no-progress]
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from strikebench.datasets.registry import (
    as_config,
    check_atomic_files,
    dataset_dir,
    dataset_names,
    default_data_root,
    load_config,
    locate,
)
from strikebench.errors import DataError, StrikebenchError, exit_status
from strikebench.results.atomic import new_temporary_dir, publish_directory

CHECKSUM_FILE = ".strikebench-checksum.json"
TIMEOUT_S = 60
_BLOCK = 1 << 20


class FetchError(StrikebenchError):
    """A download failed or did not check out; the message says what to do next."""


def fetch(name_or_cfg, data_root: str | Path | None = None, *, progress: bool = True,
          force: bool = False) -> Path:
    """Make the dataset available locally and return its directory (as ``locate`` would).

    Already present: returned as is, unless ``force``, which downloads again, verifies against
    the recorded checksum and replaces the directory.
    """
    cfg = as_config(name_or_cfg)
    name, source = cfg["name"], cfg["source"]
    if source in ("bundled", "synthetic"):
        return locate(cfg, data_root)
    root = Path(data_root).expanduser() if data_root else default_data_root()
    final = root / name
    present = (final / f"{name}.inter").is_file()
    if source == "manual":
        if present:
            return locate(cfg, root)
        raise FetchError(
            f"{name} cannot be downloaded automatically: "
            f"{' '.join(str(cfg['instructions']).split())} Put {name}.inter (and any .user/.item "
            f"files) in {final}")
    if present and not force:
        return locate(cfg, root)

    hint = (f"download {cfg['url']} by hand and unpack its atomic files ({name}.inter, "
            f".user, .item) into {final}")
    recorded = _read_record(final)
    root.mkdir(parents=True, exist_ok=True)
    archive = extract = None
    try:
        archive, digest, size = _download(cfg["url"], root, name, progress, hint)
        _verify(cfg, digest, recorded, final / CHECKSUM_FILE, hint)
        extract = new_temporary_dir(final)
        _unpack(archive, cfg["archive"], extract, cfg["url"], hint)
        data = _atomic_root(extract, name, cfg["url"], hint)
        record = recorded or {"url": cfg["url"], "sha256": digest, "bytes": size,
                              "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        (data / CHECKSUM_FILE).write_text(json.dumps(record, indent=2) + "\n")
        os.chmod(data, 0o755)  # the archive's folder may be private; the data root may be shared
        _install(data, final)
    finally:
        if archive is not None:
            archive.unlink(missing_ok=True)
        if extract is not None:
            shutil.rmtree(extract, ignore_errors=True)
    try:
        check_atomic_files(final, cfg)
    except DataError as exc:  # the files arrived; the registry entry's columns need fixing
        print(f"warning: {exc}", file=sys.stderr)
    return final


def _read_record(final: Path) -> dict | None:
    path = final / CHECKSUM_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise FetchError(f"cannot read the checksum record {path} ({exc}); delete it and fetch "
                         f"again to record a new one") from exc


def _download(url: str, root: Path, name: str, progress: bool, hint: str):
    """Stream ``url`` into a temporary file in ``root``; return (path, sha256, bytes)."""
    from tqdm import tqdm

    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".download", dir=root)
    tmp = Path(tmp)
    digest, size, total = hashlib.sha256(), 0, None
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "strikebench"})
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length else None
                with tqdm(total=total, unit="B", unit_scale=True, desc=name,
                          disable=not progress) as bar:
                    while block := response.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        size += len(block)
                        bar.update(len(block))
        if total is not None and size != total:
            raise FetchError(f"the download of {name} from {url} was cut short ({size} of {total} "
                             f"bytes): retry `strikebench data fetch {name}`, or {hint}")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise FetchError(f"could not download {name} from {url} ({reason}): check the network and "
                         f"retry `strikebench data fetch {name}`, or {hint}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size


def _verify(cfg: dict, digest: str, recorded: dict | None, record_path: Path, hint: str) -> None:
    if cfg["sha256"]:
        expected, origin = str(cfg["sha256"]).lower(), f"published in conf/dataset/{cfg['name']}.yaml"
        advice = f"retry `strikebench data fetch {cfg['name']}`, or {hint}"
    elif recorded:
        expected, origin = recorded["sha256"], f"recorded at the first download in {record_path}"
        advice = (f"retry `strikebench data fetch {cfg['name']} --force`; if the file changed "
                  f"upstream on purpose, delete {record_path} and fetch again")
    else:
        return  # first download: nothing to compare with, the digest gets recorded
    if digest != expected:
        raise FetchError(f"checksum mismatch for {cfg['name']} from {cfg['url']}: got sha256 "
                         f"{digest}, expected {expected} ({origin}): {advice}")


def _unpack(archive: Path, kind: str, dest: Path, url: str, hint: str) -> None:
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as zf:  # extractall drops absolute and '..' paths
                zf.extractall(dest)
        else:
            with tarfile.open(archive, "r:gz") as tf:
                tf.extractall(dest, filter="data")  # refuses links and paths outside dest
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise FetchError(f"the archive from {url} could not be unpacked as {kind} ({exc}): "
                         f"retry, or {hint}") from exc


def _atomic_root(extract: Path, name: str, url: str, hint: str) -> Path:
    """The folder holding the atomic files: the archive's top level or its one folder.

    RecBole's archives may name the files differently (Amazon_Books.inter for amazon-books);
    as RecBole's own downloader does, files sharing the inter file's prefix are renamed.
    """
    folders = [extract] + sorted(p for p in extract.iterdir()
                                 if p.is_dir() and not p.name.startswith(("__MACOSX", ".")))
    for folder in folders:
        if (folder / f"{name}.inter").is_file():
            return folder
    for folder in folders:
        inters = list(folder.glob("*.inter"))
        if len(inters) == 1:
            prefix = inters[0].stem
            for file in folder.iterdir():
                if file.name.startswith(prefix + "."):
                    file.rename(folder / (name + file.name[len(prefix):]))
            return folder
    raise FetchError(f"the archive from {url} holds no {name}.inter at its top level or in a "
                     f"folder: {hint}")


def _install(data: Path, final: Path) -> None:
    """Rename ``data`` to ``final``; an existing ``final`` is swapped out, then deleted (put back
    if the rename fails). If another fetch finished first, its copy stays."""
    try:
        publish_directory(data, final, replace=True,
                          complete=lambda folder: (folder / f"{folder.name}.inter").is_file())
    except OSError as exc:
        raise FetchError(f"could not move the unpacked data into {final} ({exc})") from exc


def _status(name: str, data_root: Path) -> tuple[str, str, str]:
    """(source, state, path) of one registry entry, for ``data list``."""
    try:
        cfg = load_config(name)
    except StrikebenchError as exc:
        return "?", f"invalid entry: {exc}", ""
    path = dataset_dir(cfg, data_root)
    here = (path / f"{cfg['name']}.inter").is_file()
    state = {
        "bundled": "present" if here else "missing (reinstall recbole)",
        "download": "present" if here else f"absent: strikebench data fetch {name}",
        "manual": "present" if here else "absent: fetch by hand (strikebench data fetch "
                                         f"{name} prints how)",
        "synthetic": "generated" if here else "generated on first use",
    }[cfg["source"]]
    return cfg["source"], state, str(path)


def _list(data_root: Path) -> None:
    rows = [(name, *_status(name, data_root)) for name in dataset_names()]
    widths = [max(len(r[i]) for r in rows + [("name", "source", "state", "path")]) for i in range(3)]
    for row in [("name", "source", "state", "path")] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])


def main(argv: list[str] | None = None) -> int:
    """``strikebench data ...``; returns the exit status (2 on any error, with a one-line reason)."""
    parser = argparse.ArgumentParser(prog="strikebench data",
                                     description="List and fetch the datasets strikebench knows.")
    sub = parser.add_subparsers(dest="command", required=True)
    lister = sub.add_parser("list", help="the registry, with where each dataset is and whether it is here")
    getter = sub.add_parser("fetch", help="download a dataset into the data root")
    getter.add_argument("name", help="a registry name, e.g. ml-1m (see: strikebench data list)")
    getter.add_argument("--force", action="store_true",
                        help="download again and replace the local copy (checksum still verified)")
    getter.add_argument("--no-progress", action="store_true", help="no progress bar")
    for p in (lister, getter):
        p.add_argument("--data-root", default=None,
                       help="where datasets live (default $STRIKEBENCH_DATA or ~/.cache/strikebench/data)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage and the problem
        return 0 if exc.code in (0, None) else 2
    data_root = Path(args.data_root).expanduser() if args.data_root else default_data_root()

    def command() -> None:
        if args.command == "list":
            _list(data_root)
        else:
            print(fetch(args.name, data_root, progress=not args.no_progress, force=args.force))

    return exit_status("strikebench data", command, interrupted="interrupted; nothing was left half-written")


if __name__ == "__main__":
    raise SystemExit(main())
