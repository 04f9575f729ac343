"""The ``strikebench`` command: a command from :data:`strikebench.app.usage.COMMANDS`, or a run.

    strikebench                          the quick-start sweep (= strikebench -m experiment=quickstart)
    strikebench [run] [-m] KEY=VALUE ... one cell, or a sweep with -m (Hydra overrides)
    strikebench COMMAND ...              plan, status, summary, report, leaderboard, export, data, ...
    strikebench --help | --version

A run's arguments are split by Hydra's own argument parser, and every flag of Hydra's
(``-m``, ``--cfg``, ``--info``, ``-sc``, ``-cp`` ...) is handed to Hydra as it came.
"""
from __future__ import annotations

import importlib
import sys

from strikebench.app import startup, usage
from strikebench.errors import StrikebenchError, exit_status

QUICKSTART = ["-m", "experiment=quickstart"]
# submitit's preemption and time-out signal. USR1 (its default is USR2) so that `scancel
# --signal=USR1`, the sbatch template and Lightning all agree on one signal; submitit reads it when
# imported, here and (through the exported environment) inside each Slurm job.
PREEMPT_SIGNAL = ("SUBMITIT_PREEMPT_SIGNAL", "USR1")
# Hydra flags after which Hydra prints or installs something instead of running cells: no check first.
HYDRA_ONLY = ("help", "hydra_help", "cfg", "info", "shell_completion", "experimental_rerun")
# Flags that point Hydra at another config tree than the one the pre-sweep check composes.
OTHER_CONFIG = ("config_path", "config_name", "config_dir")


class UsageError(StrikebenchError):
    """A command line strikebench cannot read (exit status 2, one line)."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return exit_status("strikebench", lambda: _dispatch(argv or list(QUICKSTART)))


def console_main() -> int:
    """The console script (and ``python -m strikebench``): this process is the command, so its
    start-up may pause the garbage collector for its imports (strikebench.app.startup)."""
    startup.own_process()
    status = main()
    startup.before_exit()
    return status


def _dispatch(argv: list[str]) -> int:
    first = argv[0]
    if first in ("-h", "--help", "help"):
        print(usage.front_page())
        return 0
    if first in ("-V", "--version"):
        print(usage.versions())
        return 0
    commands = usage.available_commands()
    if first in commands:
        module, function, _ = commands[first]
        with startup.collector_paused():
            command = getattr(importlib.import_module(module), function)
        return command(argv[1:]) or 0
    return run_main(argv)


def run_main(argv: list[str]) -> int:
    """One cell or a sweep: check every cell of the command line, then hand it to Hydra."""
    import os

    args = hydra_arguments(argv)
    hydra_only = any(getattr(args, flag) for flag in HYDRA_ONLY)
    if not hydra_only:
        for word in args.overrides:  # KEY=VALUE, or ~KEY to delete: a bare word is a mistyped command
            if "=" not in word and not word.startswith("~"):
                raise UsageError(usage.unknown_command(word))
    from strikebench.app import hydra_app
    from strikebench.app.check import preflight_all, unchecked_run

    os.environ.setdefault(*PREEMPT_SIGNAL)
    if any(getattr(args, flag) for flag in OTHER_CONFIG):
        print("strikebench: another config tree (-cp/-cn/-cd): each cell is checked when it starts, "
              "not before the sweep", file=sys.stderr)
        unchecked_run()
    elif not hydra_only:
        startup.import_cell_stack()
        preflight_all(args.overrides, multirun=args.multirun)
    if args.multirun and not _register_sweeper():
        print("strikebench: this install predates strikebench's sweeper (pip install -e . again): "
              "Hydra's basic sweeper composes every cell again", file=sys.stderr)
        argv = [*argv, "hydra/sweeper=basic"]
    sys.argv = [sys.argv[0], *argv]
    hydra_app.app()
    return 0


def _register_sweeper() -> bool:
    """strikebench's sweeper, made known to Hydra: Hydra's plugin scan cannot list the modules of
    an editable install. False where this install predates the sweeper."""
    try:
        from hydra_plugins.strikebench_sweeper.strikebench_sweeper import StrikebenchSweeper
    except ImportError:
        return False
    from hydra.core.plugins import Plugins

    Plugins.instance().register(StrikebenchSweeper)
    return True


def hydra_arguments(argv: list[str]):
    """``argv`` read by Hydra's own parser: its flags, and the overrides in ``.overrides``."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.prog = "strikebench run"
    return parser.parse_args(argv)


def leaderboard_main(argv):
    """``leaderboard RESULTS_DIR`` builds the leaderboard; ``leaderboard verify MANIFEST --cells K``
    re-runs published cells (an app command: it runs cells)."""
    if argv and argv[0] == "verify":
        from strikebench.app.verify import main as verify_main

        return verify_main(argv[1:])
    from strikebench.reporting.leaderboard import main as board_main

    return board_main(argv)


if __name__ == "__main__":
    sys.exit(console_main())
