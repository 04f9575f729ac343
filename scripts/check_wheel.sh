#!/usr/bin/env bash
# Build strikebench's wheel, install it into a fresh virtual environment with the versions CI used
# (constraints/ci-py<XY>.txt, which also picks CI's torch) and run one Pop cell from a folder
# outside the repository: proves that `pip install strikebench-*.whl` works without the source tree.
#   bash scripts/check_wheel.sh            (.ci/run calls it; about 2 minutes with a warm pip cache)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap '(rm -rf "$work" &)' EXIT  # in the background: removing torch's files takes a minute on a busy disk
tag="$("$python" -c 'import sys; print("py%d%d" % sys.version_info[:2])')"
constraints=()
if [ -f "constraints/ci-$tag.txt" ]; then constraints=(-c "$PWD/constraints/ci-$tag.txt"); fi

started=$SECONDS
# Built from a copy: setuptools would reuse (and ship) what a stale build/ in the clone holds.
mkdir "$work/source"
cp -r pyproject.toml setup.py README.md strikebench conf hydra_plugins "$work/source/"
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/dist" "$work/source"
wheel=("$work"/dist/strikebench-*.whl)
"$python" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install "${constraints[@]}" torch  # before strikebench, so that nothing else picks a torch
"${pip[@]}" install "${constraints[@]}" "${wheel[0]}"
echo "check_wheel: built and installed $(basename "${wheel[0]}") in $((SECONDS - started)) s"

mkdir "$work/elsewhere" && cd "$work/elsewhere"
STRIKEBENCH_DATA="$work/data" "$work/venv/bin/strikebench" model=pop strike.participation=0.1 \
  results_dir="$work/elsewhere/results"
records=("$work"/elsewhere/results/cells/*/record.json)
[ -f "${records[0]}" ] || { echo "check_wheel: the cell wrote no record"; exit 1; }
echo "check_wheel: one cell from $work/elsewhere in $((SECONDS - started)) s in all"
