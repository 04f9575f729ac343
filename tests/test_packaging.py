"""The installed package: its configs, its extras and their one-line messages, the pins CI writes."""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from strikebench import compat, extras
from strikebench.config import paths
from strikebench.config.needs import check_command_line, launcher_uses_submitit
from strikebench.errors import StrikebenchError
from strikebench.results.versions import CONSTRAINTS, constraints_reference

REPO = Path(__file__).resolve().parents[1]
PACKAGED = ("pyproject.toml", "setup.py", "README.md", "strikebench", "conf", "hydra_plugins")  # what the wheel is built from
WANDB_LINE = "logger=wandb needs the wandb extra: pip install 'strikebench[wandb]'"


def test_configs_resolve_from_the_installed_package(compose_cfg):
    assert paths.CONF_SOURCE == "pkg://strikebench.conf"
    # The editable install maps the package onto the repository's conf/; a wheel holds a copy.
    assert (paths.CONF_DIR / "config.yaml").is_file()
    assert {"pop", "bpr", "itemknn"} <= set(paths.config_options("model"))
    assert paths.config_options("hydra/launcher") == ["local", "slurm", "slurm_a100", "slurm_cpu"]
    assert compose_cfg(["model=pop"]).model.name == "Pop"


def test_the_wheel_carries_every_config_file(tmp_path):
    # Built from a copy: setuptools would reuse (and ship) what a stale build/ in the clone holds.
    source = tmp_path / "source"
    source.mkdir()
    for name in PACKAGED:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, source / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("strikebench-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = {f"strikebench/conf/{p.relative_to(REPO / 'conf').as_posix()}" for p in (REPO / "conf").rglob("*.yaml")}
    assert len(configs) > 60 and "strikebench/conf/model/per_trainer/tiny/lightgcn.yaml" in configs
    assert configs <= names
    assert "strikebench/conf/__init__.py" in names and "strikebench/app/cli.py" in names
    assert "hydra_plugins/strikebench_sweeper/strikebench_sweeper.py" in names  # hydra/sweeper: strikebench
    assert not any(n.startswith(("tests/", "benchmarks/", "conf/")) for n in names)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _requirements(extra: str | None) -> dict[str, Requirement]:
    out = {}
    for line in metadata.requires("strikebench"):
        req = Requirement(line)
        in_extra = req.marker is not None and "extra" in str(req.marker)
        if (extra is None and not in_extra) or (extra is not None and in_extra and req.marker.evaluate({"extra": extra})):
            out[req.name.lower()] = req
    return out


def test_wandb_and_submitit_are_extras_and_test_has_them_all():
    core = _requirements(None)
    assert not {"wandb", "submitit", "hydra-submitit-launcher"} & set(core)
    assert set(_requirements("wandb")) == {"wandb"}
    assert set(_requirements("slurm")) == {"submitit", "hydra-submitit-launcher"}
    assert _requirements("all")["strikebench"].extras == {"wandb", "slurm"}
    test = _requirements("test")
    assert test["strikebench"].extras == {"wandb", "slurm"} and {"pytest", "import-linter"} <= set(test)
    assert set(extras.EXTRAS) <= set(metadata.metadata("strikebench").get_all("Provides-Extra"))


def test_python_312_gets_every_recbole_requirement_strikebench_imports():
    # recbole is left to pip only below 3.12; there it comes with --no-deps, so strikebench itself
    # declares what recbole's imported modules need. Left out: ray and what serves recbole's quick
    # start and hyper-parameter tuning, which strikebench never imports.
    core = _requirements(None)
    assert not core["recbole"].marker.evaluate({"python_version": "3.12"})
    assert core["recbole"].marker.evaluate({"python_version": "3.11"})
    recbole = {Requirement(r).name.lower() for r in metadata.requires("recbole") if "extra" not in r}
    assert recbole - set(core) == {"ray", "thop", "plotly", "tabulate"}


def test_missing_wandb_stops_the_command_line_before_anything_runs(tmp_path, monkeypatch, capsys):
    from strikebench.app.cli import main

    monkeypatch.setitem(sys.modules, "wandb", None)  # as if the wandb extra were not installed
    code = main(["model=pop", "logger=wandb", f"results_dir={tmp_path / 'r'}"])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"strikebench: error: {WANDB_LINE}"]
    assert not (tmp_path / "r").exists()


def test_missing_wandb_is_caught_in_a_composed_config_and_in_report(compose_cfg, tmp_path, monkeypatch):
    from strikebench.app.validate import validate
    from strikebench.reporting.report import write_report

    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(extras.MissingExtra, match=r"^logger=wandb needs the wandb extra"):
        validate(compose_cfg(["model=pop", "logger=wandb"]))  # e.g. set by an experiment file
    with pytest.raises(extras.MissingExtra, match=r"^report --wandb needs the wandb extra: "
                                                  r"pip install 'strikebench\[wandb\]'$"):
        write_report(tmp_path / "no-results-yet", wandb=True)  # checked before the results are read


@pytest.mark.parametrize("module", ["submitit", "hydra_plugins.hydra_submitit_launcher"])
def test_missing_slurm_extra_names_the_launcher(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(extras.MissingExtra) as caught:
        check_command_line(["model=pop", "hydra/launcher=slurm_cpu"])
    assert str(caught.value) == "hydra/launcher=slurm_cpu needs the slurm extra: pip install 'strikebench[slurm]'"
    check_command_line(["model=pop", "hydra/launcher=basic", "logger=local"])  # needs no extra


def test_launcher_presets_that_run_through_submitit():
    # local -> submitit_local; slurm_cpu and slurm_a100 -> slurm -> submitit_slurm
    assert [launcher_uses_submitit(n) for n in ("local", "slurm", "slurm_cpu", "slurm_a100", "submitit_slurm")] == [True] * 5
    assert not launcher_uses_submitit("basic")


def test_missing_recbole_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "recbole", None)
    with pytest.raises(StrikebenchError, match=r"^recbole is not installed: pip install --no-deps recbole==1\.2\.1 "):
        compat._require_recbole()


def test_constraints_file_pins_ci_versions_and_the_manifest_names_it():
    path = REPO / CONSTRAINTS
    pins = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    assert "strikebench" not in pins and "pip" not in pins
    assert pins["recbole"] == "1.2.1" and pins["torch"] == "2.13.0"  # no +cpu: PyPI serves no such build
    assert all(v and "+" not in v for v in pins.values())
    assert {_normal(n) for n in _requirements(None)} <= {_normal(n) for n in pins}
    assert constraints_reference() == {"file": "constraints/ci-py311.txt",
                                       "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                       "install": "pip install -c constraints/ci-py311.txt ."}


def test_a_checkout_without_the_config_package_reads_its_own_conf():
    # An editable install made before conf/ was packaged (or the sources on sys.path) has no
    # strikebench.conf: the repository's conf/ is used as a folder instead.
    script = ("import sys; sys.modules['strikebench.conf'] = None\n"
              "from strikebench.config import paths\n"
              "from strikebench.app.sweep import compose_cell\n"
              "print(paths.CONF_SOURCE, compose_cell(['model=pop']).model.name)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == [str(REPO / "conf"), "Pop"]
