"""The machinery behind every exercise: a registry, generated inputs, comparison, messages.

An :class:`Exercise` knows four things, each given by a decorator in the chapter's module:

* ``@ex.inputs``: a function ``rng -> list of argument tuples``, the inputs the checker
  tries (several shapes, so that a hard-coded shape fails);
* ``@ex.reference``: the answer, computed with ``nnlib`` itself;
* ``@ex.solution``: a worked solution written the way a learner would write it (the code
  of the notebook's solution cell);
* ``@ex.mistake(hint)``: one or more typical mistakes (a missing 1/N, a transposed
  matrix, a forgotten derivative). The tests prove that the checker rejects each of them,
  and when a learner's answer matches one, the checker prints that mistake's hint.

:meth:`Exercise.check` never raises into the notebook: whatever the learner's function
does, it prints one ``✅ Correct`` or ``❌ Not yet`` message and returns a
:class:`CheckResult`, which is truthy exactly when the check passed.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np

_REGISTRY: dict[str, Exercise] = {}

NOT_STARTED = ("❌ Not solved yet: replace the `raise NotImplementedError(...)` in `{fn}` "
               "with your code, then run this cell again.")


@dataclass
class CheckResult:
    """The outcome of a check: ``bool(result)`` is ``result.passed``.

    The message has already been printed when a notebook receives this object, so it
    displays nothing in Jupyter (no stray ``True`` under the message).
    """

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self):  # the message was printed by check()
        pass

    def __repr__(self) -> str:
        return f"CheckResult({self.name!r}, passed={self.passed})"


@dataclass
class Mistake:
    """A typical wrong answer and the hint to print when a learner's answer matches it."""

    function: object
    hint: str


@dataclass
class Exercise:
    """One exercise: its inputs, nnlib's reference, a worked solution and typical mistakes.

    Parameters
    ----------
    name : str
        ``"<module>.<function>"``, e.g. ``"basics.relu_backward"`` or ``"ch02.forward"``;
        the module part is the file ``nnlib/course/exercises/<module>.py`` that defines it.
    title : str
        One line, shown in messages.
    instructions : str
        What the learner's function must do, in one or two sentences; the student
        edition puts it in the ``NotImplementedError`` of the stub.
    hint : str
        Printed when the answer is wrong and matches no registered mistake.
    output_names : tuple of str, optional
        Names of the arrays when the function returns a tuple, e.g. ``("dW", "db", "dX")``.
    rtol, atol : float
        Tolerances of ``numpy.allclose`` (loose enough for a float32 computation).
    """

    name: str
    title: str
    instructions: str
    hint: str = ""
    output_names: tuple = ()
    rtol: float = 1e-5
    atol: float = 1e-7
    make_inputs: object = None
    reference_fn: object = None
    solution_fn: object = None
    mistakes: list = field(default_factory=list)
    module: str = ""

    # --- decorators used by the chapter modules ---------------------------------------
    def inputs(self, fn):
        """Register ``fn(rng) -> list of argument tuples``."""
        self.make_inputs = fn
        return fn

    def reference(self, fn):
        """Register the reference answer (computed with nnlib)."""
        self.reference_fn = fn
        return fn

    def solution(self, fn):
        """Register the worked solution (the notebook's solution cell)."""
        self.solution_fn = fn
        return fn

    def mistake(self, hint: str):
        """Register a typical wrong answer with the hint that explains it."""
        def decorator(fn):
            self.mistakes.append(Mistake(fn, hint))
            return fn
        return decorator

    # --- running -------------------------------------------------------------------
    @property
    def seed(self) -> int:
        """A fixed seed derived from the name: the same inputs on every run and machine."""
        return zlib.crc32(self.name.encode())

    @property
    def arg_names(self) -> list[str]:
        return list(inspect.signature(self.reference_fn).parameters)

    @property
    def signature(self) -> str:
        """``name(arg, ...)`` of the function the learner writes."""
        return f"{self.name.rsplit('.', 1)[-1]}({', '.join(self.arg_names)})"

    def cases(self) -> list[tuple]:
        """The argument tuples the checker tries, generated from :attr:`seed`."""
        if self.make_inputs is None or self.reference_fn is None:
            raise RuntimeError(f"exercise {self.name!r} needs @inputs and @reference")
        return [tuple(c) for c in self.make_inputs(np.random.default_rng(self.seed))]

    def stub(self):
        """A learner's untouched function: it raises ``NotImplementedError``."""
        message = f"Exercise {self.name}: {self.instructions}"

        def stub(*args, **kwargs):
            raise NotImplementedError(message)
        stub.__name__ = self.name.rsplit(".", 1)[-1]
        return stub

    def check(self, fn, quiet: bool = False) -> CheckResult:
        """Run ``fn`` on every generated input, compare with the reference, print the verdict."""
        try:
            passed, message = self._evaluate(fn)
        except Exception as exc:  # a bug in the exercise itself, not in the learner's code
            passed, message = False, (f"❌ The checker of {self.name!r} failed "
                                      f"({type(exc).__name__}: {exc}); please report it.")
        if not quiet:
            print(message)
        _log_for_grading(self.name, passed)
        return CheckResult(self.name, passed, message)

    def _evaluate(self, fn) -> tuple[bool, str]:
        if not callable(fn):
            return False, (f"❌ Not yet: pass your function itself, e.g. "
                           f"check({self.name!r}, {self.signature.split('(')[0]}), "
                           f"not {type(fn).__name__} {fn!r:.60}.")
        fn_name = getattr(fn, "__name__", "your function")
        cases = self.cases()
        for i, args in enumerate(cases, start=1):
            expected = self.reference_fn(*copy.deepcopy(args))
            where = f"input {i} of {len(cases)}: {self._describe(args)}"
            try:
                got = _call_quietly(fn, args)
            except NotImplementedError:
                return False, NOT_STARTED.format(fn=fn_name)
            except Exception as exc:
                return False, (f"❌ Not yet: `{fn_name}` raised {type(exc).__name__}: {exc}\n"
                               f"   ({where})" + self._hint_line(self.hint))
            problem = self._compare(expected, got)
            if problem is None:
                continue
            hint = self.hint
            for m in self.mistakes:
                try:
                    if self._same(self._call_mistake(m, args), got):
                        hint = m.hint
                        break
                except Exception:  # a mistake that cannot run on this input
                    continue
            return False, f"❌ Not yet: {problem}\n   ({where})" + self._hint_line(hint)
        return True, (f"✅ Correct: `{fn_name}` agrees with nnlib's reference on "
                      f"{len(cases)} generated inputs ({self.title}).")

    def _same(self, a, b) -> bool:
        """Whether two outputs agree, NaN and infinities included (to recognise a mistake)."""
        if isinstance(a, tuple):            # several outputs (a list of numbers is one array)
            return (isinstance(b, (tuple, list)) and len(a) == len(b)
                    and all(self._same(x, y) for x, y in zip(a, b)))
        try:
            x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=self.rtol, atol=self.atol,
                                                       equal_nan=True))

    @staticmethod
    def _call_mistake(mistake, args):
        return _call_quietly(mistake.function, args)

    @staticmethod
    def _hint_line(hint: str) -> str:
        return f"\n   Hint: {hint}" if hint else ""

    def _describe(self, args) -> str:
        parts = []
        for name, a in zip(self.arg_names, args):
            if isinstance(a, np.ndarray):
                parts.append(f"{name} of shape {a.shape}")
            else:
                parts.append(f"{name}={a!r:.40}")
        return ", ".join(parts)

    def _compare(self, expected, got) -> str | None:
        """None when ``got`` matches ``expected``, else a sentence saying what differs."""
        if isinstance(expected, tuple):
            names = self.output_names or tuple(f"output {i}" for i in range(len(expected)))
            if got is None:
                return "your function returned None: did you forget the `return` statement?"
            if not isinstance(got, (tuple, list)):
                return (f"expected a tuple of {len(expected)} arrays ({', '.join(names)}), "
                        f"got {type(got).__name__}")
            if len(got) != len(expected):
                return (f"expected {len(expected)} arrays ({', '.join(names)}), "
                        f"got {len(got)}")
            for name, e, g in zip(names, expected, got):
                problem = self._compare_one(e, g, f"`{name}`")
                if problem:
                    return problem
            return None
        return self._compare_one(expected, got, "the result")

    def _compare_one(self, expected, got, name: str) -> str | None:
        if got is None:
            return (f"{name} is None: did you forget the `return` statement?")
        try:
            g = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{name} should be a NumPy array of numbers, got {type(got).__name__} {got!r:.40}"
        e = np.asarray(expected, dtype=np.float64)
        if g.shape != e.shape:
            msg = f"{name} should have shape {e.shape}, got shape {g.shape}"
            if e.ndim == 2 and g.shape == e.shape[::-1]:
                msg += ": that is the transpose, is a matrix transposed?"
            elif g.ndim == 0:
                msg += ": a single number, did you sum or average over an axis you must keep?"
            elif g.size == e.size:
                msg += ": the same entries in another shape, check keepdims= or a reshape"
            return msg
        if not np.isfinite(g).all():
            return f"{name} contains NaN or infinite values"
        if np.allclose(g, e, rtol=self.rtol, atol=self.atol):
            return None
        diff = np.abs(g - e)
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        at = f"at index {tuple(int(i) for i in idx)} " if idx else ""
        msg = (f"{name} has the right shape {e.shape} but wrong values: "
               f"{at}expected {e[idx]:.6g}, got {g[idx]:.6g}")
        if g.size > 1 and np.all(g == g.flat[0]):
            msg += f" (every entry is {g.flat[0]:.6g}: does it depend on the inputs yet?)"
        return msg


def _call_quietly(fn, args):
    """Call ``fn`` on copies of ``args`` with NumPy warnings silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*copy.deepcopy(args))


def register(name: str, *, title: str, instructions: str, hint: str = "",
             output_names: tuple = (), rtol: float = 1e-5, atol: float = 1e-7) -> Exercise:
    """Create and register an exercise; fill it in with its decorators (see the package doc)."""
    if name.count(".") != 1:
        raise ValueError(f"exercise names are '<module>.<function>', got {name!r}")
    caller = inspect.currentframe().f_back
    module = caller.f_globals.get("__name__", "") if caller else ""
    old = _REGISTRY.get(name)
    if old is not None and old.module != module:
        raise ValueError(f"exercise {name!r} is already registered by {old.module}")
    ex = Exercise(name=name, title=title, instructions=instructions, hint=hint,
                  output_names=tuple(output_names), rtol=rtol, atol=atol, module=module)
    _REGISTRY[name] = ex
    return ex


def _log_for_grading(name: str, passed: bool) -> None:
    """Append ``{"exercise", "passed"}`` to the file named by ``NNLIB_GRADING_LOG``, if set.

    The grading command (:mod:`nnlib.course.instructor.grading`) sets it for each submission, so
    results are read from a log rather than parsed from printed text.
    """
    path = os.environ.get("NNLIB_GRADING_LOG")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"exercise": name, "passed": bool(passed)}) + "\n")
    except OSError:
        pass
