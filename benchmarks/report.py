"""Ratios, scaling and the printed table of a benchmark run."""
from __future__ import annotations

TRAIN_VARIANTS = ("recbole", "sb.recbole_lightning", "sb.fast_lightning", "sb.fast_plain", "plain_torch")


# name -> (numerator, denominator): stage names, "recbole_setup", or "epoch:<training variant>".
RATIOS = {
    "cell_setup / recbole_setup (target <= 0.1)": ("sb.cell_setup", "recbole_setup"),
    "recbole_epoch / fast_lightning_epoch (target >= 2 on CPU, >= 4 on GPU)": ("epoch:recbole",
                                                                             "epoch:sb.fast_lightning"),
    "fast_lightning_epoch / plain_torch_epoch (target <= 1.5)": ("epoch:sb.fast_lightning", "epoch:plain_torch"),
    "fast_lightning_epoch / fast_plain_epoch (Lightning overhead)": ("epoch:sb.fast_lightning", "epoch:sb.fast_plain"),
    "recbole_lightning_epoch / fast_lightning_epoch": ("epoch:sb.recbole_lightning", "epoch:sb.fast_lightning"),
    "recbole_eval / sb_eval (same user batch; target >= 2 on CPU)": ("recbole.evaluate", "sb.evaluate"),
    "recbole_eval_default_batch / sb_eval (GPU target >= 50)": ("recbole.evaluate_default_batch", "sb.evaluate"),
}


# The targets, printed by targets_table: (label, ratio name, bound, "min" or "max").
TARGETS = (
    ("Lightning epoch / plain-torch floor", "fast_lightning_epoch / plain_torch_epoch (target <= 1.5)", 1.5, "max"),
    ("RecBole epoch / Lightning epoch", "recbole_epoch / fast_lightning_epoch (target >= 2 on CPU, >= 4 on GPU)",
     2.0, "min"),
    ("RecBole eval / strikebench eval", "recbole_eval / sb_eval (same user batch; target >= 2 on CPU)", 2.0, "min"),
)


def _epoch_cpu(stages: dict, variant: str, scale: float) -> list[float]:
    """CPU seconds of each epoch of ``variant`` (stages ``<variant>.epoch<i>``)."""
    out, epoch = [], 0
    while "cpu_seconds" in stages.get(f"{variant}.epoch{epoch}", {}):  # runs before it was recorded: none
        out.append(stages[f"{variant}.epoch{epoch}"]["cpu_seconds"] * scale)
        epoch += 1
    return out


def _epoch(seconds: list[float]) -> float | None:
    """The fastest epoch: warm-up and other processes on a shared machine only ever add time."""
    return min(seconds) if seconds else None


def _ratio(a, b):
    return a / b if a is not None and b else None


def summarise(result: dict) -> dict:
    stages, n = result["stages"], result["n_interactions"]
    sec = {name: s["seconds"] for name, s in stages.items() if isinstance(s, dict) and "seconds" in s}
    recbole_setup = sec["recbole.create_dataset"] + sec["recbole.data_preparation"]
    epoch = {name: _epoch(result["epoch_seconds"].get(name, [])) for name in TRAIN_VARIANTS}
    epoch = {k: v for k, v in epoch.items() if v is not None}
    pairs = (result["n_test_users"]) * result["n_items"]
    times = {**sec, "recbole_setup": recbole_setup, **{f"epoch:{k}": v for k, v in epoch.items()}}
    cpu = {name: s["cpu_seconds"] for name, s in stages.items() if isinstance(s, dict) and "cpu_seconds" in s}
    steps = result["spec"].get("train_steps")
    epoch_cpu = {name: _epoch(_epoch_cpu(stages, name, result["train_batches"] / steps
                                         if steps and name == "recbole" else 1.0)) for name in TRAIN_VARIANTS}
    epoch_cpu = {k: v for k, v in epoch_cpu.items() if v is not None}
    cpu_times = {**cpu, **{f"epoch:{k}": v for k, v in epoch_cpu.items()}}
    if "recbole.create_dataset" in cpu and "recbole.data_preparation" in cpu:
        cpu_times["recbole_setup"] = cpu["recbole.create_dataset"] + cpu["recbole.data_preparation"]
    metrics = result["metrics"]
    ndcg = {name: m.get("ndcg@10") for name, m in metrics.items()}
    out = {
        "setup_s": {"recbole.create_dataset+data_preparation": recbole_setup,
                    "sb.cell_setup": sec.get("sb.cell_setup"),
                    "sb.load_interactions": sec.get("sb.load_interactions"),
                    "sb.cached_arrays_load": sec.get("sb.cached_arrays_load")},
        "epoch_s": epoch,
        "eval_s": {"recbole.evaluate": sec.get("recbole.evaluate"),
                   "recbole.evaluate_default_batch": sec.get("recbole.evaluate_default_batch"),
                   "sb.evaluate": sec.get("sb.evaluate"), "sb.eval_context": sec.get("sb.eval_context")},
        "epoch_cpu_s": epoch_cpu,
        "ratios": {name: _ratio(times.get(a), times.get(b)) for name, (a, b) in RATIOS.items()},
        # The same ratios of process CPU seconds: steadier than wall time on a shared machine.
        "cpu_ratios": {name: _ratio(cpu_times.get(a), cpu_times.get(b)) for name, (a, b) in RATIOS.items()},
        "scaling": {
            "recbole_setup_us_per_interaction": recbole_setup / n * 1e6,
            "sb_cell_setup_us_per_interaction": sec["sb.cell_setup"] / n * 1e6 if "sb.cell_setup" in sec else None,
            **{f"{k}_epoch_us_per_train_interaction": v / result["n_train"] * 1e6 for k, v in epoch.items()},
            "recbole_eval_ns_per_user_item": sec["recbole.evaluate"] / pairs * 1e9 if "recbole.evaluate" in sec else None,
            "sb_eval_ns_per_user_item": sec["sb.evaluate"] / pairs * 1e9 if "sb.evaluate" in sec else None,
        },
        "ndcg@10": ndcg,
        "eval_equivalence_abs_diff": {
            name: abs(metrics["recbole.evaluate"][name] - metrics["sb.evaluate(recbole model)"][name])
            for name in metrics.get("recbole.evaluate", {}) if name in metrics.get("sb.evaluate(recbole model)", {})
        },
        "peak_rss_mb": {name: round(s["rss_peak_mb"]) for name, s in stages.items()
                        if isinstance(s, dict) and "rss_peak_mb" in s},
    }
    cuda = {name: round(s["cuda_peak_mb"]) for name, s in stages.items() if isinstance(s, dict) and "cuda_peak_mb" in s}
    if cuda:
        out["cuda_peak_mb"] = cuda
    return out


def _f(value, spec="{:.2f}"):
    return "-" if value is None else spec.format(value)


def table(results: list[dict]) -> str:
    head = ("dataset", "model", "inter", "RB setup s", "SB cell s", "ratio", "RB epoch", "SB+RBload L",
            "SB fast L", "SB fast plain", "plain torch", "RB eval", "RB eval dflt", "SB eval", "eval x",
            "nDCG RB|SB-eval|fast", "RSS MB")
    rows = [head]
    for r in results:
        if "error" in r:
            rows.append((r["spec"]["dataset"], r["spec"]["model"], "FAILED") + ("",) * (len(head) - 3))
            continue
        s = r["summary"]
        e, v, nd = s["epoch_s"], s["eval_s"], s["ndcg@10"]
        fast_nd = nd.get("sb.evaluate(sb.fast_lightning model)")
        rows.append((
            r["spec"]["dataset"], r["spec"]["model"], f"{r['n_interactions']:,}",
            _f(s["setup_s"]["recbole.create_dataset+data_preparation"]), _f(s["setup_s"]["sb.cell_setup"], "{:.3f}"),
            _f(s["ratios"]["cell_setup / recbole_setup (target <= 0.1)"], "{:.3f}"),
            _f(e.get("recbole")) + ("*" if r["spec"].get("train_steps") else ""), _f(e.get("sb.recbole_lightning")), _f(e.get("sb.fast_lightning")),
            _f(e.get("sb.fast_plain")), _f(e.get("plain_torch")),
            _f(v["recbole.evaluate"]), _f(v["recbole.evaluate_default_batch"]), _f(v["sb.evaluate"], "{:.3f}"),
            _f(s["ratios"]["recbole_eval / sb_eval (same user batch; target >= 2 on CPU)"], "{:.1f}"),
            f"{_f(nd.get('recbole.evaluate'), '{:.4f}')}|{_f(nd.get('sb.evaluate(recbole model)'), '{:.4f}')}|"
            f"{_f(fast_nd, '{:.4f}')}",
            str(max(s["peak_rss_mb"].values())),
        ))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = [" | ".join(str(c).rjust(w) for c, w in zip(row, widths)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    lines.append("seconds; RB = RecBole's pipeline, SB = strikebench; L = through the Lightning module; "
                 "* = extrapolated from the first batches of the epoch; ratio = SB cell setup / RB setup; "
                 "eval x = RB eval / SB eval at the same users per batch; dflt = RecBole's default eval_batch_size")
    return "\n".join(lines)


def scaling_table(results: list[dict]) -> str:
    """Per-interaction cost of data setup and training, per (user x item) cost of evaluation."""
    head = ("dataset", "model", "inter", "RB setup us/int", "SB cell us/int", "RB epoch us/int",
            "SB fast L us/int", "SB fast plain us/int", "RB eval ns/(u*i)", "SB eval ns/(u*i)")
    rows = [head]
    for r in results:
        if "error" in r:
            continue
        sc = r["summary"]["scaling"]
        rows.append((r["spec"]["dataset"], r["spec"]["model"], f"{r['n_interactions']:,}",
                     _f(sc["recbole_setup_us_per_interaction"]), _f(sc["sb_cell_setup_us_per_interaction"]),
                     _f(sc.get("recbole_epoch_us_per_train_interaction")),
                     _f(sc.get("sb.fast_lightning_epoch_us_per_train_interaction")),
                     _f(sc.get("sb.fast_plain_epoch_us_per_train_interaction")),
                     _f(sc["recbole_eval_ns_per_user_item"]), _f(sc["sb_eval_ns_per_user_item"])))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = [" | ".join(str(c).rjust(w) for c, w in zip(row, widths)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def targets_table(results: list[dict]) -> str:
    """The issue's speed targets per job: each ratio by wall time and by CPU time, and the bound."""
    lines = [f"{'dataset':>8} | {'model':>8} | {'target':<36} | {'wall':>6} | {'CPU':>6} | bound | met (CPU)"]
    for r in results:
        if "error" in r:
            continue
        s = r["summary"]
        for label, name, bound, kind in TARGETS:
            wall, cpu = s["ratios"].get(name), s.get("cpu_ratios", {}).get(name)
            if wall is None and cpu is None:
                continue
            met = "-" if cpu is None else ("yes" if (cpu <= bound if kind == "max" else cpu >= bound) else "NO")
            sign = "<=" if kind == "max" else ">="
            lines.append(f"{r['spec']['dataset']:>8} | {r['spec']['model']:>8} | {label:<36} | {_f(wall):>6} | "
                         f"{_f(cpu):>6} | {sign} {bound} | {met}")
    return "\n".join(lines)


def study_table(report: dict) -> str:
    """The ways of ``--preset study``: seconds, cells per hour, epochs, quality, load."""
    lines = [f"{'way':<12} {'cells':>5} {'wall s':>9} {'CPU s':>9} {'cells/h':>9} {'epochs':>7} {'ndcg@10':>8}"
             f"  load (before, after)"]
    for name, v in report["variants"].items():
        load = v.get("load_average_1min") or [float("nan")] * 2
        lines.append(f"{name:<12} {v['cells']:>5} {v['seconds']:>9.1f} {_f(v.get('cpu_seconds'), '{:.1f}'):>9} "
                     f"{v['cells_per_hour']:>9.0f} {v['epochs_mean']:>7.1f} {v['test_ndcg_mean']:>8.4f}"
                     f"  {load[0]:.1f}, {load[1]:.1f}")
    study = report["study"]
    lines.append(f"speed-up over one by one on RecBole's loader: fast path {_f(study.get('fast_speedup'))}x, "
                 f"stacked {_f(study.get('speedup'))}x" + ("" if study.get("stacked_s") else " (stacked: not run)"))
    return "\n".join(lines)
