"""Input checks shared by every module: clear ``ValueError``s instead of NumPy tracebacks.

Each helper names the argument it checks, says what was expected and what came, and
never modifies or copies the caller's array unless a conversion is unavoidable (a list
becomes an array; an array is returned as it is).
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np

# Checking every array for NaN costs a pass over it. ``fit`` checks its data once, up front,
# then turns the per-batch finiteness checks off (it watches the loss for NaN instead).
_CHECK_FINITE = True


@contextlib.contextmanager
def finite_checks_disabled():
    """Within this block, modules skip their NaN/inf input checks (shapes are still checked)."""
    global _CHECK_FINITE
    previous, _CHECK_FINITE = _CHECK_FINITE, False
    try:
        yield
    finally:
        _CHECK_FINITE = previous


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                   finite: bool = True) -> np.ndarray:
    """Return ``x`` as a floating-point ndarray, checking its dimensions and values.

    Parameters
    ----------
    x : array_like
        The input. Lists are converted; arrays are returned unchanged (no copy).
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    finite : bool
        Reject NaN and infinite values.
    """
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{name} must be an array of numbers; could not convert it: {exc}") from None
        if x.dtype.kind in "iub":
            x = x.astype(np.float32)
    if x.dtype.kind != "f":
        raise ValueError(
            f"{name} must have a floating-point dtype (float32 or float64), got dtype {x.dtype}; "
            f"convert it first, e.g. {name}.astype(np.float32)")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must be a {want}-D array, got shape {x.shape} ({x.ndim}-D)")
    if x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}); expected at least one sample")
    if finite and _CHECK_FINITE:
        check_finite(x, name)
    return x


class NonFiniteError(ValueError):
    """NaN or infinite values where finite numbers are required (a ``ValueError``)."""


def check_finite(x: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or infinite values.

    A sum is a cheap first test (NaN and inf propagate through it); only when the sum is
    not finite is the exact element-wise test run, so a sum that merely overflows does not
    give a false alarm.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = x.sum()
    if not np.isfinite(total):
        bad = ~np.isfinite(x)
        if bad.any():
            n_nan = int(np.isnan(x).sum())
            n_inf = int(bad.sum()) - n_nan
            raise NonFiniteError(
                f"{name} contains {n_nan} NaN and {n_inf} infinite values (shape {x.shape}); "
                "clean or impute the data first")


def as_labels(y, name: str, n_samples: int | None = None,
              n_classes: int | None = None) -> np.ndarray:
    """Check integer class labels: a 1-D integer array with values in ``0..n_classes-1``."""
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "b":
            y = y.astype(np.int64)
        else:
            raise ValueError(
                f"{name} must hold integer class indices 0..K-1, got dtype {y.dtype}; "
                f"if the values are whole numbers, use {name}.astype(int)")
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, got shape {y.shape}"
                         + ("; for one-hot labels use y.argmax(axis=1)" if y.ndim == 2 else ""))
    if y.size == 0:
        raise ValueError(f"{name} is empty; expected at least one label")
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} labels but the inputs have {n_samples} rows")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or (n_classes is not None and hi >= n_classes):
        limit = f"0..{n_classes - 1}" if n_classes is not None else "non-negative values"
        raise ValueError(f"{name} must be in {limit}, got values from {lo} to {hi}")
    return y


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Check that ``value`` is an integer (not a bool) at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_number(value, name: str, low: float | None = None, high: float | None = None,
                 low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """Check that ``value`` is a real number inside ``[low, high]`` (bounds optional)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    bad_low = low is not None and (value < low if low_inclusive else value <= low)
    bad_high = high is not None and (value > high if high_inclusive else value >= high)
    if bad_low or bad_high:
        lb = "[" if low_inclusive else "("
        hb = "]" if high_inclusive else ")"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {lb}{lo}, {hi}{hb}, got {value:g}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of the allowed option names."""
    try:
        known = value in choices
    except TypeError:               # an unhashable value (a list) is no option name
        known = False
    if not known:
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(choices)}")
    return value


def check_bool(value, name: str) -> bool:
    """Check that ``value`` is True or False (``numpy.bool_`` too); ``"no"`` or ``1`` are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_float_dtype(dtype, name: str = "dtype"):
    """Check that ``dtype`` names a floating-point type (np.float32, np.float64, "float32")."""
    try:
        ok = isinstance(dtype, (type, np.dtype, str)) and np.dtype(dtype).kind == "f"
    except TypeError:               # a string that names no dtype
        ok = False
    if not ok:
        raise TypeError(f"{name} must be a floating-point type (np.float32 or np.float64), "
                        f"got {dtype!r}")
    return dtype


def check_grad_shape(grad_out, shape, layer: str) -> np.ndarray:
    """``grad_out`` as an array, which must have ``shape``: that of the layer's last output."""
    grad_out = np.asarray(grad_out)
    if grad_out.shape != tuple(shape):
        raise ValueError(f"grad_out must have shape {tuple(shape)}, got {grad_out.shape} "
                         f"({layer}.backward takes the gradient of its last output)")
    return grad_out


def make_rng(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed, an existing generator, or ``None``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")
