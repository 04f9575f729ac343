"""The commands and the orchestration on top of the stages: one cell, a sweep, plan and status,
export, leaderboard verify.

    cli.py        the ``strikebench`` command: subcommands, or a cell / sweep through Hydra
    hydra_app.py  the Hydra application: one call runs one cell; ``-m`` runs many
    cell.py       one cell: skip if done -> preflight -> per company: train, evaluate -> record
    validate.py   a cell's config checked before anything is loaded: each stage's check, in order
    sweep.py      a command line expanded into its cells, as Hydra's sweeper would
    lightning_parts.py  the callbacks and the tracker a config names by ``_target_``, built by Hydra
    hydra_callbacks.py  Hydra callbacks of the app: a sweep's cells.json when it starts
    log_setup.py  pieces of the job-log config (conf/hydra/job_logging/strikebench.yaml)
    plan.py       ``strikebench plan`` and ``strikebench status``
    wandb_sync.py ``strikebench wandb-sync``: a W&B run for each cell that finished without one
    export.py     ``strikebench export``: a cell's company view as RecBole atomic files
    verify.py     ``strikebench leaderboard verify``: re-run published cells and compare

Nothing below this package imports it (the layers contract in pyproject.toml).
"""
