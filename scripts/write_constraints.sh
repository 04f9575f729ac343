#!/usr/bin/env bash
# Write the exact package versions of a strikebench environment as a pip constraints file, so a
# reviewer can rebuild the environment CI used (the leaderboard manifest names it, with its sha256):
#   bash scripts/write_constraints.sh [VENV] [OUT]   default: .venv, constraints/ci-py<major><minor>.txt
# .ci/run calls it on its own environment, so each CI run leaves the file it used.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-${STRIKEBENCH_VENV:-.venv}}"
py="$venv/bin/python"
tag="$("$py" -c 'import sys; print("py%d%d" % sys.version_info[:2])')"
out="${2:-constraints/ci-$tag.txt}"
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
  echo "# The exact versions CI installed: pip freeze of its environment (Python $("$py" -c 'import platform; print(platform.python_version())')), strikebench itself left out."
  echo "# Written by scripts/write_constraints.sh. Rebuild: pip install -c $out '.[test]' (or '.' for the core)."
  echo "# torch is CI's CPU build; on a GPU machine drop the torch line and let pip pick the CUDA build."
  # --all keeps setuptools (RecBole's dependencies import pkg_resources); pip itself is left out.
  # torch's local label (+cpu) names a build PyPI does not serve: the plain version matches either.
  "$py" -m pip freeze --all --exclude-editable --disable-pip-version-check \
    | grep -viE '^(strikebench([ =@]|$)|pip==|-e )' | sed -E 's/^(torch==[^+]+)\+.*/\1/'
} > "$tmp"
mv "$tmp" "$out"
echo "constraints: $out ($(grep -vc '^#' "$out") packages)"
