"""Start-up of a ``strikebench`` process: its heavy imports with the garbage collector paused.

Importing torch and RecBole (and with them pandas, scipy and scikit-learn) leaves about half a
million objects that live as long as the process. With the collector running, its collections
on the way walk them again and again, and the collection when the interpreter ends walks them
once more: on the 2-core machine of docs/performance.md that was about 2 s of a 6 s Pop cell.
So the command imports them with the collector paused, then freezes them (``gc.freeze``: every
later collection skips them) and turns the collector back on before any cell runs.

Only the console script does this (:func:`strikebench.app.cli.console_main`). A process that
calls ``cli.main`` as a library, pytest for one, keeps its collector as it is: a freeze there
would keep that process's garbage until it ends.
"""
from __future__ import annotations

import contextlib
import gc

_OWN_PROCESS = False  # set by the console script: this process is the command


def own_process() -> None:
    """Say that this process is the ``strikebench`` command (the console script calls it)."""
    global _OWN_PROCESS
    _OWN_PROCESS = True


@contextlib.contextmanager
def collector_paused():
    """Import inside this block with the collector paused; what they left is frozen after it.

    A no-op unless the process is the command, or when the collector is already off.
    """
    if not (_OWN_PROCESS and gc.isenabled()):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # a few thousand cyclic leftovers of the imports stay: cheaper than a full pass
        gc.enable()


def import_cell_stack() -> None:
    """torch, RecBole and strikebench's cell, with RecBole's shims in force."""
    with collector_paused():
        import strikebench.app.cell  # noqa: F401  (torch, pandas, the stages)
        from strikebench import compat

        compat.apply()  # RecBole's modules the shims patch


def before_exit() -> None:
    """Freeze what is left, so the interpreter's last collection does not walk every object."""
    if _OWN_PROCESS:
        gc.freeze()
