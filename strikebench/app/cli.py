"""The ``strikebench`` command.

    strikebench                          the quick-start sweep (= strikebench -m experiment=quickstart)
    strikebench [-m] KEY=VALUE ...       one cell, or a sweep with -m (Hydra overrides)
    strikebench export OUT [KEY=VALUE ...] [--company NAME]
    strikebench summary RESULTS_DIR
    strikebench plan [-m] KEY=VALUE ... [--write-cells FILE]
    strikebench status RESULTS_DIR
    strikebench report RESULTS_DIR | leaderboard RESULTS_DIR | leaderboard verify MANIFEST --cells K
    strikebench data fetch NAME | data list
    strikebench analyse TABLE [--reference MODEL] [--worst V --best V] [--json]
"""
from __future__ import annotations

import sys

from strikebench.app import analyse
from strikebench.errors import StrikebenchError

QUICKSTART = ["-m", "experiment=quickstart"]
HYDRA_FLAGS_WITH_VALUE = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                          "--experimental-rerun", "--info", "-i", "--package", "-p", "--cfg", "-c"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = list(QUICKSTART)
    command = argv[0]
    try:
        if command in SUBCOMMANDS:
            return SUBCOMMANDS[command](argv[1:]) or 0
        return _hydra(argv)
    except StrikebenchError as exc:
        print(f"strikebench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("strikebench: interrupted", file=sys.stderr)
        return 130


# submitit's preemption and time-out signal. USR1 (its default is USR2) so that `scancel
# --signal=USR1`, the sbatch template and Lightning all agree on one signal; submitit reads it when
# imported, here and (through the exported environment) inside each Slurm job.
PREEMPT_SIGNAL = ("SUBMITIT_PREEMPT_SIGNAL", "USR1")


def _hydra(argv: list[str]) -> int:
    """Check every cell of the command line, then hand it to Hydra (which runs or launches them)."""
    import os

    from strikebench.app import hydra_app

    os.environ.setdefault(*PREEMPT_SIGNAL)

    overrides = _overrides(argv)
    if "--help" not in argv and "-h" not in argv and not any(a.startswith("--cfg") or a == "-c" for a in argv):
        hydra_app.preflight_all(overrides, multirun="-m" in argv or "--multirun" in argv)
    sys.argv = [sys.argv[0], *argv]
    hydra_app.app()
    return 0


def _overrides(argv: list[str]) -> list[str]:
    """The KEY=VALUE arguments, without Hydra's own flags."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in HYDRA_FLAGS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            out.append(arg)
    return out


def _export(argv):
    from strikebench.app.export import main as export_main

    return export_main(argv)


def _summary(argv):
    from strikebench.reporting.sweep_summary import main as summary_main

    return summary_main(argv)


def _plan(argv):
    from strikebench.app.plan import plan_main

    return plan_main(argv)


def _status(argv):
    from strikebench.app.plan import status_main

    return status_main(argv)


def _report(argv):
    from strikebench.reporting.report import main as report_main

    return report_main(argv)


def leaderboard_main(argv):
    """``leaderboard RESULTS_DIR`` builds the leaderboard; ``leaderboard verify MANIFEST --cells K``
    re-runs published cells (an app command: it runs cells)."""
    if argv and argv[0] == "verify":
        from strikebench.app.verify import main as verify_main

        return verify_main(argv[1:])
    from strikebench.reporting.leaderboard import main as board_main

    return board_main(argv)


def _data(argv):
    from strikebench.datasets.fetch import main as data_main

    return data_main(argv)


SUBCOMMANDS = {"export": _export, "summary": _summary, "data": _data, "plan": _plan, "status": _status,
               "report": _report, "leaderboard": leaderboard_main,
               "wandb-sync": lambda argv: __import__("strikebench.app.wandb_sync", fromlist=["main"]).main(argv)}
SUBCOMMANDS["analyse"] = analyse.main  # light to import: the measures load when it runs

if __name__ == "__main__":
    sys.exit(main())
