"""Progress bars: tqdm, imported only when a bar is made, and silenced by ``TQDM_DISABLE``.

Training loops and downloads show a bar when asked (``progress=True``). Unattended runs (CI,
nbval, grading) set the environment variable ``TQDM_DISABLE=1`` and get no bars even where a
notebook asks for one. tqdm's own handling of that variable only changes its *default*, not
an explicit ``disable=False``, so nnlib checks the variable itself.
"""

from __future__ import annotations

import os


def show_progress(progress: bool) -> bool:
    """Whether to draw a progress bar: ``progress``, unless ``TQDM_DISABLE`` is set."""
    flag = os.environ.get("TQDM_DISABLE", "").strip().lower()
    return bool(progress) and flag in ("", "0", "false", "no")


def progress_bar(iterable=None, *, progress: bool, **options):
    """A ``tqdm.auto`` bar (notebook widget or terminal), disabled unless :func:`show_progress`.

    ``options`` go to tqdm (``total``, ``unit``, ``desc``, ...). tqdm is imported here, not at
    the top, so that ``import nnlib`` stays light.
    """
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=not show_progress(progress), **options)
