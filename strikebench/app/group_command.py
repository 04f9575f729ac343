"""``strikebench group CELL -- CELL -- ...``: several cells, each given by its Hydra overrides,
trained K at a time where they ask for ``trainer.stack=K`` (one at a time otherwise).

It is what a Slurm array task runs for one line of the cell list that ``strikebench plan ...
--write-cells FILE`` writes when the cells stack: one group a line (slurm/array.sbatch). Every
cell is checked before any trains; each keeps its own record, and a rerun of the line (a
requeued task) reuses the stored records and resumes the group from its checkpoint.
"""
from __future__ import annotations

import sys

from strikebench.errors import StrikebenchError

SEPARATOR = "--"
USAGE = "strikebench group KEY=VALUE ... [-- KEY=VALUE ...]..."


def split_cells(argv: list[str]) -> list[list[str]]:
    """The override lists of the cells of ``argv``, separated by ``--``."""
    cells, current = [], []
    for word in argv:
        if word == SEPARATOR:
            cells.append(current)
            current = []
        else:
            current.append(word)
    cells.append(current)
    if any(not cell for cell in cells):
        raise StrikebenchError(f"group: an empty cell (two -- in a row, or one at an end); usage: {USAGE}")
    return cells


def group_line(cells: list[list[str]]) -> str:
    """A line of a cell list: one cell as its overrides, several as ``group CELL -- CELL ...``."""
    if len(cells) == 1:
        return " ".join(cells[0])
    return "group " + f" {SEPARATOR} ".join(" ".join(cell) for cell in cells)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: {USAGE}\n\n{__doc__}")
        return 0
    from strikebench.app import startup

    startup.import_cell_stack()  # a Slurm array task's start-up, as a single cell's (app/startup.py)
    from strikebench.app.expansion import resolved_config
    from strikebench.app.lightning_parts import tracking_of
    from strikebench.app.stack_groups import groups_of
    from strikebench.app.stacked_cells import run_group
    from strikebench.app.sweep import compose_cell
    from strikebench.app.validate import validate
    from strikebench.results.failures import record_failure
    from strikebench.results.keys import cell_key

    cells = split_cells(argv)
    cfgs = [compose_cell(cell) for cell in cells]
    for cfg in cfgs:  # bad input stops every cell before any trains
        validate(cfg)
    described = {id(cfg): " ".join(cell) for cfg, cell in zip(cfgs, cells)}
    failed = 0
    for group in groups_of(cfgs):
        try:
            outcomes = run_group(group, print, tracking_of)
        except Exception as exc:  # noqa: BLE001 - recorded for `strikebench status`, then reported
            for cfg in group:
                record_failure(cfg.results_dir, cell_key(resolved_config(cfg)), described[id(cfg)], exc)
            if not isinstance(exc, StrikebenchError):
                raise
            print(f"strikebench: error: {exc}", file=sys.stderr)
            failed += len(group)
            continue
        for cfg, outcome in zip(group, outcomes):
            status = "running elsewhere" if outcome.running_elsewhere else "done" if outcome.ran else "reused"
            print(f"[{status}] {described[id(cfg)]} -> {outcome.path}")
    return 2 if failed else 0
