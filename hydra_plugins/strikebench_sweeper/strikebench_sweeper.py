"""strikebench's sweeper: Hydra's basic sweeper, without composing every cell again.

Chosen in conf/config.yaml (``hydra/sweeper: strikebench``, conf/hydra/sweeper/strikebench.yaml).
Cells that strikebench's pre-sweep check composed and checked are not composed again for Hydra's
check, and the jobs Hydra's basic launcher runs in this process are composed by
:class:`strikebench.app.jobs.SweepJobs` (once per combination of config groups, not per cell).
Other launchers (submitit, Slurm) compose their jobs as Hydra does. In this process, cells that
ask for ``trainer.stack=K`` train K at a time before their jobs run (strikebench.app.stacked_sweep).
The rest is Hydra's.
"""
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.types import HydraContext

BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"


class StrikebenchSweeper(BasicSweeper):
    in_process = False

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.in_process = str(config.hydra.launcher.get("_target_")) == BASIC_LAUNCHER
        if self.in_process:
            from strikebench.app.jobs import SweepJobs

            hydra_context = HydraContext(config_loader=SweepJobs(hydra_context.config_loader, config),
                                         callbacks=hydra_context.callbacks)
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch) -> None:
        from strikebench.app.jobs import unchecked

        super().validate_batch_is_legal(unchecked(batch))

    def get_job_batch(self):
        batch = super().get_job_batch()
        if self.in_process:
            from strikebench.app.stacked_sweep import train_batch

            train_batch(self.config, batch, self.hydra_context.config_loader)
        return batch
