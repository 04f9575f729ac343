"""The commands and the orchestration on top of the stages: one cell, a sweep, plan and status,
export, leaderboard verify.

    cli.py        the ``strikebench`` command: subcommands, or a cell / sweep through Hydra
    usage.py      the front door's words: the command table, --help, --version, typo suggestions
    hydra_app.py  the Hydra application: one call runs one cell; ``-m`` runs many
    check.py      the pre-sweep check of every cell (data checks once per dataset, strike and seed)
    cell.py       one cell: skip if done -> preflight -> per company: train, evaluate -> record
    validate.py   a cell's config checked before anything is loaded: each stage's check, in order
    sweep.py      a command line expanded into its cells, as Hydra's sweeper would
    lightning_parts.py  the callbacks and the tracker a config names by ``_target_``, built by Hydra
    hydra_callbacks.py  Hydra callbacks of the app: a sweep's cells.json when it starts
    log_setup.py  pieces of the job-log config (conf/hydra/job_logging/strikebench.yaml)
    plan.py       ``strikebench plan`` and ``strikebench status``
    wandb_sync.py ``strikebench wandb-sync``: a W&B run for each cell that finished without one
    expansion.py  cells composed once per combination of config groups (exactly as Hydra would)
    jobs.py       the jobs of an in-process sweep composed the same way (strikebench's sweeper)
    progress.py   a line per finished cell, the check's progress, the progress bar's on/off
    estimate.py   the time the missing cells will take, from measured costs or "unknown"
    export.py     ``strikebench export``: a cell's company view as RecBole atomic files
    verify.py     ``strikebench leaderboard verify``: re-run published cells and compare
    analyse.py    ``strikebench analyse``: the measures of a results table

Nothing below this package imports it (the layers contract in pyproject.toml).
"""
