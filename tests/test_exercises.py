"""Every exercise's checker cannot be fooled: it fails on three stubs and passes the solution.

The exercises are found in the registry (every module of ``nnlib/course/exercises``), so a new
exercise is tested as soon as it is registered. For each one:

* the untouched stub (``raise NotImplementedError``) fails, with the "not solved yet" message;
* a constant of the right shape (zeros, and ones) fails;
* every registered typical mistake fails, and its own hint is printed;
* the registered solution and nnlib's reference pass.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnlib
from nnlib.course import exercises
from nnlib.course.exercises import CheckResult, check, get

NAMES = exercises.names()


def _constant_stub(ex, value):
    """A function that ignores its inputs but returns arrays of exactly the right shape."""
    def stub(*args):
        expected = ex.reference_fn(*args)
        if isinstance(expected, tuple):
            return tuple(np.full(np.shape(e), value, dtype=np.asarray(e).dtype)
                         for e in expected)
        return np.full(np.shape(expected), value, dtype=np.asarray(expected).dtype)
    stub.__name__ = "constant_stub"
    return stub


def _assert_same(x, y):
    """Equal inputs, also when an input is a list or tuple of arrays of different shapes."""
    if isinstance(x, (list, tuple)):
        assert isinstance(y, (list, tuple)) and len(x) == len(y)
        for a, b in zip(x, y):
            _assert_same(a, b)
    elif isinstance(x, nnlib.Module):                  # a model: same layers, same weights
        assert repr(x) == repr(y)
        for (n1, p1), (n2, p2) in zip(x.named_parameters(), y.named_parameters(),
                                      strict=True):
            assert n1 == n2
            np.testing.assert_array_equal(p1.value, p2.value)
    elif callable(x) and x is not y:                   # a function made per call:
        probe = np.linspace(-3, 3, 13)                 # the same values
        np.testing.assert_array_equal(x(probe), y(probe))
    elif callable(x):
        pass
    else:
        np.testing.assert_array_equal(x, y)


def test_registry_is_not_empty():
    assert len(NAMES) >= 3, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_exercise_is_complete(name):
    ex = get(name)
    assert ex.make_inputs is not None, f"{name}: no @inputs"
    assert ex.reference_fn is not None, f"{name}: no @reference"
    assert ex.solution_fn is not None, f"{name}: no @solution"
    assert ex.mistakes, f"{name}: register at least one typical @mistake"
    assert ex.instructions and ex.title
    cases = ex.cases()
    assert len(cases) >= 2, f"{name}: try the learner's function on several inputs"
    # The inputs are generated from a fixed seed: the same on every call.
    for a, b in zip(cases, ex.cases()):
        for x, y in zip(a, b):
            _assert_same(x, y)


@pytest.mark.parametrize("name", NAMES)
def test_not_implemented_stub_fails(name, capsys):
    result = check(name, get(name).stub())
    out = capsys.readouterr().out
    assert isinstance(result, CheckResult)
    assert not result
    assert "❌ Not solved yet" in out and "NotImplementedError" in out


@pytest.mark.parametrize("value", [0.0, 1.0])
@pytest.mark.parametrize("name", NAMES)
def test_constant_of_right_shape_fails(name, value, capsys):
    result = check(name, _constant_stub(get(name), value))
    out = capsys.readouterr().out
    assert not result
    assert out.startswith("❌ Not yet"), out


@pytest.mark.parametrize("name", NAMES)
def test_typical_mistakes_fail_with_their_hint(name, capsys):
    ex = get(name)
    for mistake in ex.mistakes:
        result = check(name, mistake.function)
        out = capsys.readouterr().out
        assert not result, f"{name}: the mistake {mistake.function.__name__} passed the check"
        assert out.startswith("❌ Not yet"), out
        assert mistake.hint in out, f"{name}: the hint of {mistake.function.__name__} is not shown"


@pytest.mark.parametrize("name", NAMES)
def test_solution_and_reference_pass(name, capsys):
    ex = get(name)
    assert check(name, ex.solution_fn)
    assert capsys.readouterr().out.startswith("✅ Correct")
    assert check(name, ex.reference_fn, quiet=True)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- never raises
@pytest.mark.parametrize("bad, expected", [
    (lambda *a: None, "return"),
    (lambda *a: "text", "got str"),
    (lambda *a: np.zeros((17, 1)), "shape"),
    (lambda *a: 1 / 0, "ZeroDivisionError"),
    (lambda: 0, "TypeError"),
    (42, "pass your function itself"),
])
def test_check_never_raises(bad, expected, capsys):
    for name in ("basics.sigmoid", "basics.dense_backward"):
        result = check(name, bad)
        out = capsys.readouterr().out
        assert not result
        assert expected in out, out


def test_wrong_shape_message_names_both_shapes(capsys):
    check("basics.relu_backward", lambda x, g: (g * (x > 0)).T)
    out = capsys.readouterr().out
    assert "should have shape (4, 3), got shape (3, 4)" in out
    assert "transpose" in out


def test_unknown_exercise(capsys):
    result = check("basics.no_such_exercise", print)
    out = capsys.readouterr().out
    assert not result and "Unknown exercise" in out and "basics.sigmoid" in out


def test_learner_inputs_are_copies():
    """A learner's function that modifies its arguments cannot corrupt the reference."""
    def in_place(x, grad_out):
        grad_out[x <= 0] = 0
        x[...] = 0
        return grad_out
    assert check("basics.relu_backward", in_place, quiet=True)


def test_float32_answer_passes():
    assert check("basics.sigmoid", lambda z: 1 / (1 + np.exp(-z.astype(np.float32))),
                 quiet=True)


def test_numpy_warnings_do_not_leak(recwarn):
    def noisy_sigmoid(z):
        np.log(np.array([-1.0]))                 # an invalid-value warning, or an error
        return 1 / (1 + np.exp(-z))
    with np.errstate(all="raise"):
        assert check("basics.sigmoid", noisy_sigmoid, quiet=True)
    assert len(recwarn) == 0


def test_check_result_repr_and_display():
    result = check("basics.sigmoid", get("basics.sigmoid").solution_fn, quiet=True)
    assert repr(result) == "CheckResult('basics.sigmoid', passed=True)"
    assert result._ipython_display_() is None     # the message was already printed


def test_duplicate_name_from_another_module_is_refused():
    from nnlib.course.exercises._core import _REGISTRY, Exercise
    _REGISTRY["zz_test.dup"] = Exercise("zz_test.dup", "t", "i", module="somewhere.else")
    try:
        with pytest.raises(ValueError, match="already registered"):
            exercises.register("zz_test.dup", title="t", instructions="i")
    finally:
        del _REGISTRY["zz_test.dup"]
