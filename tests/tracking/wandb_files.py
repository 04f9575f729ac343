"""Read what an offline W&B run wrote: the records of its ``run-<id>.wandb`` file.

The file is a LevelDB-style log (a 7-byte header ``:W&B``, magic, version; then 32 KiB blocks of
records, each with a 7-byte header: CRC, length, type full/first/middle/last) of
``wandb_internal_pb2.Record`` messages. wandb's own reader moved into its Go core, so the
tests read the file themselves, after the process that wrote it has ended.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 32768
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path):
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    ident, _, _ = struct.unpack("<4sHB", data[:HEADER])
    assert ident == b":W&B", f"{path} is not a W&B run file"
    pos, chunk = HEADER, b""
    while pos + HEADER <= len(data):
        if BLOCK - pos % BLOCK < HEADER:  # the rest of a block too short for a header is padding
            pos += BLOCK - pos % BLOCK
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + HEADER])
        if kind == 0 and length == 0:
            break
        body = data[pos + HEADER:pos + HEADER + length]
        pos += HEADER + length
        chunk = body if kind in (FULL, FIRST) else chunk + body
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(chunk)
            yield record


def _key(item) -> str:
    return item.key or "/".join(item.nested_key)


@dataclass
class OfflineRun:
    """What an offline run holds: its id, group, job type, config, history rows, final summary."""

    run_id: str = ""
    group: str = ""
    job_type: str = ""
    tags: list = field(default_factory=list)
    config: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    artifacts: list = field(default_factory=list)  # (name, type)
    exited: bool = False


def read_run(run_dir: Path) -> OfflineRun:
    (path,) = Path(run_dir).glob("*.wandb")
    run = OfflineRun()
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.run_id, run.group, run.job_type = record.run.run_id, record.run.run_group, record.run.job_type
            run.tags = list(record.run.tags)
            run.config.update({_key(i): json.loads(i.value_json) for i in record.run.config.update})
        elif kind == "config":
            run.config.update({_key(i): json.loads(i.value_json) for i in record.config.update})
        elif kind == "history":
            run.history.append({_key(i): json.loads(i.value_json) for i in record.history.item})
        elif kind == "summary":
            run.summary.update({_key(i): json.loads(i.value_json) for i in record.summary.update if _key(i)})
        elif kind == "artifact":
            run.artifacts.append((record.artifact.name, record.artifact.type))
        elif kind == "exit":
            run.exited = True
    return run
