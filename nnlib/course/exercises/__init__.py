"""Checkers for the exercises of the book: one mechanism for every chapter.

In a notebook, the learner writes a function and runs the check cell below it::

    from nnlib.course.exercises import check
    check("basics.relu_backward", relu_backward)

``check`` generates inputs from a fixed seed, runs the learner's function on copies of
them, compares the result with ``nnlib``'s reference (``numpy.allclose``), and prints
either ``✅ Correct: ...`` or ``❌ Not yet: ...`` followed by a hint (the expected and
received shapes, the first wrong entry, or the explanation of a recognised typical
mistake). It never raises; it returns a :class:`CheckResult` that is truthy when the
answer is right.

Adding an exercise (chapter authors)
------------------------------------
Put it in ``nnlib/course/exercises/chNN.py`` (found automatically, nothing to import)::

    import numpy as np
    from ._core import register

    ex = register("ch02.relu_backward", title="the backward pass of ReLU",
                  instructions="return dL/dx = grad_out * [x > 0]",
                  hint="the mask comes from the layer's input x")

    @ex.inputs
    def _(rng):                 # a few argument tuples, in several shapes
        return [(rng.standard_normal((4, 3)), rng.standard_normal((4, 3))), ...]

    @ex.reference
    def _(x, grad_out):         # the answer, from nnlib itself
        ...

    @ex.solution
    def relu_backward(x, grad_out):   # what the notebook's solution cell contains
        return grad_out * (x > 0)

    @ex.mistake("ReLU was applied to the gradient: mask with x > 0 instead")
    def _(x, grad_out):
        return np.maximum(grad_out, 0)

``tests/test_exercises.py`` then proves, for every registered exercise, that the checker
rejects the untouched stub (``raise NotImplementedError``), a constant of the right shape
and every registered mistake, and accepts the solution. See ``basics.py`` for complete
examples and ``CONTRIBUTING.md`` for the notebook cells and their tags.
"""

from __future__ import annotations

import importlib
import pkgutil

from ._core import _REGISTRY as _registry
from ._core import CheckResult, Exercise, Mistake, register

__all__ = ["check", "get", "names", "register", "Exercise", "CheckResult", "Mistake"]

_loaded_all = False


def _load_all() -> None:
    """Import every exercise module of this package (``basics``, ``ch01``, ...)."""
    global _loaded_all
    if _loaded_all:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded_all = True


def get(name: str) -> Exercise:
    """The registered exercise called ``name``; ``KeyError`` listing the known names if none."""
    if name not in _registry:
        module = name.split(".", 1)[0]
        if module.isidentifier() and not module.startswith("_"):
            try:
                importlib.import_module(f"{__name__}.{module}")
            except ModuleNotFoundError:
                pass
    if name not in _registry:
        _load_all()
    if name not in _registry:
        raise KeyError(f"no exercise called {name!r}; known exercises: {', '.join(names())}")
    return _registry[name]


def names() -> list[str]:
    """The names of every registered exercise, sorted."""
    _load_all()
    return sorted(_registry)


def check(name: str, fn, quiet: bool = False) -> CheckResult:
    """Check the learner's function ``fn`` for exercise ``name`` and print the verdict.

    Never raises: an unknown name, a function that raises or returns the wrong thing
    each print a ``❌`` message. Returns a :class:`CheckResult` (truthy when passed).
    """
    try:
        ex = get(name)
    except Exception as exc:
        message = f"❌ Unknown exercise: {exc.args[0] if exc.args else exc}"
        if not quiet:
            print(message)
        return CheckResult(str(name), False, message)
    return ex.check(fn, quiet=quiet)
