"""W&B logging: offline without an API key, and the key never printed."""
from __future__ import annotations

import pytest

from strikebench.errors import ConfigError
from strikebench.tracking import wandb_logger


def test_mode_follows_whether_a_key_is_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    assert wandb_logger.resolve_mode("auto") == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_logger.resolve_mode("auto") == "online"
    assert wandb_logger.resolve_mode("offline") == "offline"
    with pytest.raises(ConfigError, match="logger.mode"):
        wandb_logger.resolve_mode("sometimes")


def test_cell_logged_offline_without_printing_the_key(tmp_path, monkeypatch, capfd):
    from strikebench.app.cli import main

    secret = "s3cr3t" + "k" * 34
    monkeypatch.setenv("WANDB_API_KEY", secret)
    monkeypatch.setenv("WANDB_SILENT", "false")
    monkeypatch.chdir(tmp_path)
    code = main(["model=pop", "strike.participation=0.1", "logger=wandb", "logger.mode=offline",
                 f"results_dir={tmp_path / 'r'}"])
    out = capfd.readouterr()
    assert code == 0, out.err[-2000:]
    runs = list((tmp_path / "r" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and any(runs[0].glob("*.wandb"))
    for text in (out.out, out.err):
        assert secret not in text
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert secret.encode() not in path.read_bytes(), path


def test_sweep_table_logged_as_a_wandb_table_in_the_sweeps_group(tmp_path, monkeypatch):
    import json

    from strikebench.app.cli import main

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.chdir(tmp_path)
    code = main(["-m", "model=pop", "strike.participation=0,0.3", "logger=wandb", f"results_dir={tmp_path / 'r'}"])
    assert code == 0
    runs = sorted((tmp_path / "r" / "wandb").glob("offline-run-*"))
    assert len(runs) == 3  # two cells and the sweep's summary
    (table_file,) = [p for run in runs for p in run.glob("files/media/table/summary_*.table.json")]
    table = json.loads(table_file.read_text())
    assert "model" in table["columns"] and {row[table["columns"].index("p")] for row in table["data"]} == {0.0, 0.3}
    # The sweep's name is the W&B group of all three runs (it is in each run's stored settings).
    (sweep_dir,) = (tmp_path / "r" / ".hydra" / "sweeps").iterdir()
    for run in runs:
        assert sweep_dir.name.encode() in next(run.glob("*.wandb")).read_bytes()
