#!/usr/bin/env bash
# Set up strikebench in a virtual environment (.venv, or $STRIKEBENCH_VENV) on a fresh machine.
#   bash scripts/setup.sh          the package (the quick start needs no extra)
#   bash scripts/setup.sh test     the package and the test tools ([test]: also the wandb and slurm extras)
#   bash scripts/setup.sh EXTRAS   any extras, e.g. wandb, slurm, all or wandb,slurm
# torch comes first, chosen for the machine: the CUDA build from PyPI where a GPU answers
# nvidia-smi, else torch==2.13.0, which a CPU machine with a local CPU wheel (pip find-links)
# takes from disk instead of downloading several GB of CUDA libraries.
# On Python 3.12 recbole 1.2.1 is installed without its dependencies: its metadata asks for
# ray<=2.6.3, which has no 3.12 wheels and which strikebench never imports; pyproject.toml lists
# the recbole dependencies that strikebench does import.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${STRIKEBENCH_VENV:-.venv}"
extras="${1:-}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; assert (3, 10) <= sys.version_info[:2] <= (3, 12), "strikebench needs Python 3.10, 3.11 or 3.12"'
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)

if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "setup: GPU found, installing the CUDA build of torch"
    "${pip[@]}" install "torch>=2.6"
  else
    echo "setup: no GPU, installing torch 2.13.0"
    "${pip[@]}" install "torch==2.13.0"
  fi
fi

if "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))'; then
  echo "setup: Python 3.12, installing recbole 1.2.1 without ray (pip then notes that recbole's ray, thop, plotly and tabulate are missing: strikebench never imports them)"
  "${pip[@]}" install --no-deps "recbole==1.2.1"
fi

echo "setup: installing strikebench${extras:+ [$extras]}"
"${pip[@]}" install -e ".${extras:+[$extras]}"
echo "setup: done ($("$venv/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
