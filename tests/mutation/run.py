"""Plant each mutant in a copy of the repository, run the tests that must kill it, report.

    python -m tests.mutation.run [M1 M4 ...] [--list] [--keep]

For each mutant: copy the repository's files (tracked and untracked, not ignored) to a temporary
folder, plant the mutant (tests/mutation/mutants.py), run its killing tests there with this
interpreter (``PYTHONPATH`` points at the copy, so subprocesses import the mutant too). A mutant
is killed when every one of its named tests fails (exit code 1); an error (exit code 2+) is not a kill.
First the same tests run on an unmutated copy: they must pass, or a kill would mean nothing.
Exit code 0 when every mutant is killed.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.mutation.mutants import MUTANTS, Mutant, plant

ROOT = Path(__file__).resolve().parents[2]
FAILED = re.compile(r"^FAILED (\S+?)(?: - |$)", re.M)


def copy_repository(to: Path) -> Path:
    """The repository's files as git sees them (no .venv, results or caches)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)
    return to


def run_tests(root: Path, tests: list[str], data: Path) -> tuple[int, str, float]:
    env = {**os.environ, "PYTHONPATH": str(root), "STRIKEBENCH_TEST_DATA": str(data),
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    imported = subprocess.run([sys.executable, "-c", "import strikebench; print(strikebench.__file__)"], cwd=data.parent,
                              env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(imported).resolve().is_relative_to(root.resolve()):  # else the tests would run the original code
        raise RuntimeError(f"the copy at {root} imports strikebench from {imported}")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *tests, "-q", "-rf", "-p", "no:cacheprovider",
                           "-o", "addopts="], cwd=root, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - started


def check(mutant: Mutant | None, tests: list[str], work: Path, data: Path, keep: bool) -> tuple[int, str, float]:
    root = copy_repository(work / (mutant.name if mutant else "unmutated"))
    try:
        if mutant:
            plant(mutant, root)
        return run_tests(root, tests, data)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and their killing tests")
    parser.add_argument("--keep", action="store_true", help="keep the mutated copies (printed)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    if unknown := set(args.names) - {m.name for m in MUTANTS}:
        parser.error(f"unknown mutants {sorted(unknown)}; known: {', '.join(m.name for m in MUTANTS)}")
    if args.list:
        for m in chosen:
            print(f"{m.name}  {m.what}  ({m.path})\n    " + "\n    ".join(m.killers))
        return 0
    work = Path(tempfile.mkdtemp(prefix="strikebench-mutation-"))
    data = work / "data"  # one data root for every run: ML-100K is preprocessed once
    data.mkdir()
    tests = sorted({t for m in chosen for t in m.killers})
    code, output, seconds = check(None, tests, work, data, args.keep)
    if code != 0:
        print(output[-5000:])
        print(f"the killing tests fail without any mutant (pytest exit {code}): fix them first")
        return 2
    print(f"unmutated: {len(tests)} killing tests pass ({seconds:.0f} s)")
    survivors = []
    for mutant in chosen:
        code, output, seconds = check(mutant, list(mutant.killers), work, data, args.keep)
        killed_by = FAILED.findall(output)
        # Every named test must fail (a parametrised test: at least one of its cases).
        missed = [t for t in mutant.killers if not any(f == t or f.startswith(t + "[") for f in killed_by)]
        if code == 1 and killed_by and not missed:
            print(f"{mutant.name} killed ({seconds:.0f} s): {mutant.what}\n    by " + "\n    by ".join(killed_by))
        else:
            survivors.append(mutant.name)
            print(f"{mutant.name} SURVIVED (pytest exit {code}, {seconds:.0f} s; passed with it: {missed}): "
                  f"{mutant.what}\n{output[-3000:]}")
    if args.keep:
        print(f"copies kept under {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} mutants killed" + (f"; survived: {survivors}" if survivors else ""))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
