"""Helpers for the chapter notebooks: the run time and peak memory printed at the end.

Every chapter creates a timer in its first code cell and reports in its last one::

    from nnlib.course.notebook import ChapterTimer
    timer = ChapterTimer()
    ...
    timer.report()        # Run time: 42.1 s, peak memory: 612 MB

The last cell is tagged ``nbval-ignore-output`` (the numbers vary from run to run).
The peak memory is the largest resident set size of the whole kernel process so far
(``resource.getrusage``), which is what a 2 GB Binder machine limits.
"""

from __future__ import annotations

import sys
import time


def peak_memory_mb() -> float | None:
    """Peak resident memory of this process in MB, or None where it cannot be measured."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class ChapterTimer:
    """Measures a notebook's run time from its creation; ``report()`` prints it."""

    def __init__(self):
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        """Seconds since the timer was created."""
        return time.perf_counter() - self.start

    def report(self) -> None:
        """Print ``Run time: X s, peak memory: Y MB`` (see :attr:`elapsed`, :func:`peak_memory_mb`)."""
        mb = peak_memory_mb()
        memory = f"{mb:.0f} MB" if mb is not None else "not measurable on this system"
        print(f"Run time: {self.elapsed:.1f} s, peak memory: {memory}")

    def __repr__(self):
        return f"ChapterTimer(elapsed={self.elapsed:.1f} s)"


_IMPORT_TIME = time.perf_counter()


def report_resources(timer: ChapterTimer | None = None) -> None:
    """Like ``timer.report()``; without a timer, the time since ``nnlib.course.notebook`` was imported."""
    if timer is None:
        timer = ChapterTimer()
        timer.start = _IMPORT_TIME
    timer.report()


__all__ = ["ChapterTimer", "report_resources", "peak_memory_mb"]


def optional_import(module: str, lost: str, package: str | None = None):
    """Import an optional extra of a chapter, or say in one line what is lost without it.

    ``optional_import("matplotlib_fontja", "the hiragana in the figures show as boxes")``
    returns the module, or, when it is not installed, prints one line naming what is lost
    and the ``pip install`` that brings it, and returns None: the chapter goes on.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        print(f"Note: {module} is not installed, so {lost} "
              f"(pip install {package or module} to get it).")
        return None
