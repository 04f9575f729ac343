"""strikebench.app.startup: the command's imports with the garbage collector paused, and only there."""
from __future__ import annotations

import gc
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

from strikebench.app import startup

_IN_THE_COMMAND = """
import gc, json
from strikebench.app import startup
startup.own_process()
frozen_before = gc.get_freeze_count()
with startup.collector_paused():
    inside = gc.isenabled()
    import fractions  # a module not imported yet: its objects are made inside the block
after = gc.isenabled()
print(json.dumps([inside, after, frozen_before, gc.get_freeze_count()]))
"""


def test_the_command_imports_with_the_collector_paused_then_freezes_what_they_made(tmp_path):
    result = subprocess.run([sys.executable, "-c", _IN_THE_COMMAND], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    inside, after, frozen_before, frozen_after = json.loads(result.stdout)
    assert inside is False and after is True
    assert frozen_before == 0 and frozen_after > 1000  # every object alive after the imports


def test_a_library_caller_keeps_its_collector_as_it_is(monkeypatch):
    # pytest calls cli.main in this process: a freeze here would keep its garbage until it ends.
    monkeypatch.setattr(startup, "_OWN_PROCESS", False)
    frozen = gc.get_freeze_count()
    with startup.collector_paused():
        assert gc.isenabled()
    startup.before_exit()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_the_collector_stays_off_where_it_was_off(monkeypatch):
    monkeypatch.setattr(startup, "_OWN_PROCESS", True)
    gc.disable()
    try:
        frozen = gc.get_freeze_count()
        with startup.collector_paused():
            pass
        assert not gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.enable()


def test_the_console_script_and_python_m_run_the_command_through_console_main(tmp_path):
    # the script pip wrote for this environment's install (pyproject's [project.scripts])
    script = Path(sysconfig.get_path("scripts")) / "strikebench"
    assert "from strikebench.app.cli import console_main" in script.read_text()
    result = subprocess.run([sys.executable, "-m", "strikebench", "--version"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0 and "strikebench" in result.stdout
