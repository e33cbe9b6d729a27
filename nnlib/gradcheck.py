r"""Numerical gradient checking: is a hand-written backward pass right?

Centred differences approximate each partial derivative with error :math:`O(\varepsilon^2)`:

.. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}.

Analytic and numerical gradients are compared with the **relative error**

.. math:: \text{rel}(a, n) = \frac{\lVert a - n \rVert_2}{\max(\lVert a \rVert_2 + \lVert n \rVert_2,\ \text{floor})},

where the floor (default :math:`10^{-12}`) avoids dividing by zero when both gradients
vanish. In float64 a correct backward pass gives about :math:`10^{-9}` or less; a wrong
one gives :math:`10^{-2}` or more. Always check in float64: float32 rounding alone is
around :math:`10^{-4}`.

To check a module whose output is an array, :func:`check_module` reduces it to a scalar
with a fixed random projection :math:`f(x) = \sum \text{out}(x) \odot R`, whose gradient
with respect to the output is exactly :math:`R`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .validation import check_number, make_rng


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Centred-difference gradient of the scalar function ``f()`` with respect to ``x``.

    ``x`` is perturbed **in place**, one entry at a time, and restored exactly; ``f``
    must read ``x`` (for example a closure over a parameter's ``value``).
    """
    if not callable(f):
        raise TypeError(f"f must be callable: f() -> float, got {f!r}")
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a float ndarray (it is perturbed in place), got {got}")
    eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)            # a view: writing to it writes to x
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    g = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        g[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric, floor: float = 1e-12) -> float:
    """``||a - n|| / max(||a|| + ||n||, floor)`` (see the module docstring)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        return float("inf")
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor))


@dataclass
class GradCheckResult:
    """Relative errors per checked array (``"input"``, ``"0.W"``, ...) and a verdict."""

    errors: dict = field(default_factory=dict)
    tol: float = 1e-7
    problems: dict = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        return max(self.errors.values()) if self.errors else 0.0

    @property
    def passed(self) -> bool:
        return not self.problems and self.max_error < self.tol

    def __bool__(self):
        return self.passed

    def __repr__(self):
        rows = ", ".join(f"{k}: {v:.1e}" for k, v in self.errors.items())
        verdict = "passed" if self.passed else "FAILED"
        extra = "".join(f"; {k}: {v}" for k, v in self.problems.items())
        return f"GradCheckResult({verdict}, tol={self.tol:.0e}; {rows}{extra})"


def check_module(module, x, eps: float = 1e-6, tol: float = 1e-7, seed=0,
                 check_input: bool = True) -> GradCheckResult:
    """Compare ``module.backward`` with centred differences, for the input and every parameter.

    Parameters
    ----------
    module : Module
        Checked in its current mode (call ``.eval()`` first to check without dropout).
        Use float64 parameters (``module.astype(np.float64)``).
    x : ndarray
        A float64 input batch. It is copied; the caller's array is not changed.
    eps, tol : float
        Step of the centred difference; pass threshold for the relative error.
    seed : int
        Seed of the random projection ``R``.

    Returns
    -------
    GradCheckResult
        ``result.passed`` is True when every relative error is below ``tol``. A backward
        pass that returns a gradient of the wrong shape fails with a note in ``problems``.
    """
    from .core import Module

    if not isinstance(module, Module):
        raise TypeError(f"module must be an nnlib Module, got {type(module).__name__}")
    x = np.array(x, dtype=np.float64)          # our own copy, perturbed in place
    out = module.forward(x)
    R = make_rng(seed).standard_normal(out.shape)

    def f():
        return float(np.sum(module.forward(x) * R))

    result = GradCheckResult(tol=tol)
    module.forward(x)
    try:
        dx = module.backward(R.astype(out.dtype))
    except Exception as exc:               # a shape error inside a broken backward
        result.problems["backward"] = f"{type(exc).__name__}: {exc}"
        result.errors["backward"] = float("inf")
        return result
    analytic = {name: p.grad.copy() for name, p in module.named_parameters()}
    for name, grad in analytic.items():
        shape = dict(module.named_parameters())[name].value.shape
        if grad.shape != shape:
            result.problems[name] = f"gradient shape {grad.shape}, parameter shape {shape}"
    if check_input:
        if dx is None or np.shape(dx) != x.shape:
            result.problems["input"] = (f"input gradient shape {np.shape(dx)}, "
                                        f"input shape {x.shape}")
            result.errors["input"] = float("inf")
        else:
            result.errors["input"] = relative_error(dx, numerical_gradient(f, x, eps))
    for name, p in module.named_parameters():
        result.errors[name] = relative_error(analytic[name], numerical_gradient(f, p.value, eps))
    return result


def check_loss(loss, output, target, eps: float = 1e-6, tol: float = 1e-7) -> GradCheckResult:
    """Check ``loss.backward()`` against centred differences of ``loss.forward(output, target)``."""
    from .losses import Loss

    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be an nnlib Loss, got {type(loss).__name__}")
    z = np.array(output, dtype=np.float64)
    loss.forward(z, target)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(z, target), z, eps)
    result = GradCheckResult(tol=tol)
    result.errors["output"] = relative_error(analytic, numeric)
    return result
