"""Wall time and peak memory of one benchmark stage.

Peak RSS is sampled by a background thread (every ``interval`` seconds) because the kernel's
high-water mark (ru_maxrss) never goes down and so cannot be read per stage. On CUDA the peak
of ``torch.cuda.max_memory_allocated`` is reset at the start of each stage.
"""
from __future__ import annotations

import os
import threading
import time

import psutil
import torch


class Stage:
    """``with Stage("epoch", device) as s: ...`` then ``s.result()`` -> dict."""

    def __init__(self, name: str, device: str = "cpu", interval: float = 0.005):
        self.name, self.device, self.interval = name, str(device), interval
        self.process = psutil.Process()
        self.extra: dict = {}

    def __enter__(self):
        self._sync()
        if self.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        self.rss_before = self.process.memory_info().rss
        self.rss_peak = self.rss_before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()
        return self

    def __exit__(self, *exc):
        self._sync()
        self.seconds = time.perf_counter() - self.started
        self.cpu_seconds = time.process_time() - self.cpu_started
        self._stop.set()
        self._thread.join()
        self.rss_peak = max(self.rss_peak, self.process.memory_info().rss)
        self.cuda_peak = torch.cuda.max_memory_allocated() if self.device.startswith("cuda") else None
        return False

    def _watch(self):
        while not self._stop.wait(self.interval):
            self.rss_peak = max(self.rss_peak, self.process.memory_info().rss)

    def _sync(self):
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def result(self) -> dict:
        out = {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "rss_peak_mb": self.rss_peak / 2 ** 20,
               "rss_added_mb": (self.rss_peak - self.rss_before) / 2 ** 20,
               "load_average_1min": os.getloadavg()[0]}  # other processes on a shared machine skew timings
        if self.cuda_peak is not None:
            out["cuda_peak_mb"] = self.cuda_peak / 2 ** 20
        out.update(self.extra)
        return out


def run_stage(stages: dict, name: str, device: str, fn, /, *args, repeats: int = 1, **kwargs):
    """Run ``fn`` as stage ``name`` (``repeats`` times: seconds is the fastest run, as timeit does,
    since other processes only ever add time), store its measurements in ``stages``, return its
    last value."""
    runs = []
    for _ in range(max(int(repeats), 1)):
        with Stage(name, device) as stage:
            value = fn(*args, **kwargs)
        runs.append(stage.result())
    result = dict(runs[-1])
    result["rss_peak_mb"] = max(r["rss_peak_mb"] for r in runs)
    if len(runs) > 1:
        result.update(seconds=min(r["seconds"] for r in runs), seconds_all=[r["seconds"] for r in runs],
                      cpu_seconds=min(r["cpu_seconds"] for r in runs))
    stages[name] = result
    return value
