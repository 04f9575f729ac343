"""One benchmark job (one dataset x one model), run in its own process so that its memory peaks
are its own: ``python -m benchmarks.job SPEC.json OUT.json``."""
from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time
import warnings
from pathlib import Path


def run_job(spec: dict) -> dict:
    import torch

    from benchmarks import cell_setup, recbole_pipeline, strikebench_pipeline
    from benchmarks.datasets import prepare
    from benchmarks.models import SEQUENTIAL, model_class, model_settings
    from strikebench import compat

    compat.apply()
    if spec.get("threads"):
        torch.set_num_threads(int(spec["threads"]))
    settings = model_settings(spec["model"])
    spec = dict(spec, model_class=model_class(spec["model"]), sequential=spec["model"] in SEQUENTIAL,
                learning_rate=settings["learning_rate"], weight_decay=settings["weight_decay"],
                embedding_size=settings.get("embedding_size", 64))
    work_dir = Path(spec["work_dir"])
    work_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(work_dir)  # RecBole's Trainer writes ./log_tensorboard and ./saved
    data_path = str(prepare(spec["dataset"], Path(spec["data_dir"])))

    stages: dict = {}
    out = {"spec": spec, "stages": stages, "epoch_seconds": {}, "metrics": {}, "notes": [], "environment": environment()}
    run = recbole_pipeline.prepare(spec, data_path, str(work_dir), stages)
    out.update(n_users=int(run.dataset.user_num - 1), n_items=int(run.dataset.item_num - 1),
               n_interactions=int(len(run.dataset.inter_feat)), n_train=int(len(run.train_data._dataset.inter_feat)),
               n_test_users=int(len(torch.unique(run.test_data._dataset.inter_feat[run.config["USER_ID_FIELD"]]))),
               train_batches=len(run.train_data))
    if spec.get("cell_setup"):
        cell_setup.measure(spec, data_path, run.config, stages)
    if spec.get("setup_only"):
        return out

    recbole_pipeline.build_model(run, spec, stages)
    out["epoch_seconds"]["recbole"] = recbole_pipeline.train(run, spec, stages)
    if spec.get("train_steps"):
        out["notes"].append(f"epoch times extrapolated from the first {spec['train_steps']} batches of each epoch")
    out["metrics"].update(recbole_pipeline.evaluate(run, spec, stages))

    arrays = strikebench_pipeline.split_arrays(run)
    models = {}
    if spec["sequential"]:
        out["notes"].append("sequential model: strikebench has no fast training path for it; RecBole's pipeline "
                            "and the fast evaluator only (RecBole masks no history for sequential models, nor does "
                            "the evaluator here)")
    elif not spec.get("train_steps"):
        seconds, models = strikebench_pipeline.train_variants(run, spec, arrays, stages)
        out["epoch_seconds"].update(seconds)
    out["metrics"].update(strikebench_pipeline.evaluate_models(run, spec, arrays, models, stages))
    if str(spec["device"]).startswith("cuda"):
        out["cuda_max_memory_allocated_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
    return out


def environment() -> dict:
    import numpy
    import recbole
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__, "recbole": recbole.__version__,
           "numpy": numpy.__version__, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
           "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
    return env


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    out_path = Path(argv[1]).resolve()
    sys.argv = sys.argv[:1]  # RecBole's Config parses sys.argv
    warnings.filterwarnings("ignore")
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    started = time.perf_counter()
    result = run_job(spec)
    result["job_seconds"] = time.perf_counter() - started
    out_path.write_text(json.dumps(result, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
