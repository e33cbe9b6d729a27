r"""Layers with parameters or state: ``Dense`` (fully connected) and ``Dropout``.

Shapes follow the row-major batch convention: ``X`` is ``(N, n_in)``, one sample a row.
"""

from __future__ import annotations

import numpy as np

from .core import Module, Parameter
from .init import initialize
from .validation import (
    as_float_array,
    check_float_dtype,
    check_grad_shape,
    check_number,
    check_positive_int,
    make_rng,
)


class Dense(Module):
    r"""Fully connected layer :math:`Z = XW + b`.

    Shapes: ``X`` ``(N, n_in)``, ``W`` ``(n_in, n_out)``, ``b`` ``(n_out,)``, ``Z`` ``(N, n_out)``.

    Backward, given :math:`G = \partial L/\partial Z` of shape ``(N, n_out)``:

    .. math::
        \frac{\partial L}{\partial W} = X^\top G, \qquad
        \frac{\partial L}{\partial b} = \sum_{n} G_{n,:}, \qquad
        \frac{\partial L}{\partial X} = G W^\top .

    Parameters
    ----------
    n_in, n_out : int
        Input and output features.
    init : str
        Weight initialiser from :mod:`nnlib.init` (``"he_normal"`` suits ReLU,
        ``"xavier_normal"`` suits tanh and sigmoid). Biases start at zero.
    seed : int or numpy.random.Generator, optional
        Source of the initial weights.
    dtype : numpy dtype
        ``np.float32`` (default, fast) or ``np.float64`` (gradient checks).
    """

    def __init__(self, n_in: int, n_out: int, init: str = "he_normal", seed=None,
                 dtype=np.float32):
        self.n_in = check_positive_int(n_in, "n_in")
        self.n_out = check_positive_int(n_out, "n_out")
        self.init = init
        check_float_dtype(dtype)
        self.W = Parameter(initialize(init, n_in, n_out, rng=make_rng(seed), dtype=dtype), "W")
        self.b = Parameter(np.zeros(n_out, dtype=dtype), "b")
        self._X = None

    def forward(self, X):
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.n_in:
            raise ValueError(f"X must have {self.n_in} columns (n_in of this Dense layer), "
                             f"got shape {X.shape}")
        self._X = X
        Z = X @ self.W.value
        Z += self.b.value
        return Z

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._X is None:
            raise RuntimeError("Dense.backward called before forward")
        G = np.asarray(grad_out)
        if G.shape != (self._X.shape[0], self.n_out):
            raise ValueError(f"grad_out must have shape {(self._X.shape[0], self.n_out)}, "
                             f"got {G.shape}")
        np.matmul(self._X.T, G, out=self.W.grad)      # dL/dW = X^T G
        np.sum(G, axis=0, out=self.b.grad)            # dL/db = sum over the batch
        if not need_input_grad:
            return None
        return G @ self.W.value.T                     # dL/dX = G W^T

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out}, init={self.init!r})"


class Dropout(Module):
    r"""Inverted dropout with drop probability ``p``.

    In training mode each unit is kept with probability :math:`q = 1 - p` and the kept
    ones are scaled by :math:`1/q`, so that :math:`\mathbb E[\text{out}] = x`:

    .. math::
        m_{ij} \sim \text{Bernoulli}(q), \qquad \text{out} = x \odot m / q, \qquad
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial \text{out}} \odot m / q .

    In evaluation mode (``model.eval()``) it is the identity: nothing to rescale at test
    time, which is why the scaling happens during training.

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping a unit.
    seed : int or numpy.random.Generator, optional
        Source of the masks; the same seed gives the same sequence of masks.
    """

    def __init__(self, p: float = 0.5, seed=None):
        self.p = check_number(p, "p", 0.0, 1.0, high_inclusive=False)
        self.rng = make_rng(seed)
        self._mask = None
        self._x_shape = None

    def forward(self, x):
        x = as_float_array(x, "x")
        self._x_shape = x.shape
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        q = 1.0 - self.p
        mask = self.rng.random(x.shape, dtype=x.dtype) < q     # keep with probability q
        self._mask = mask.astype(x.dtype)
        self._mask *= x.dtype.type(1.0 / q)
        return x * self._mask

    def backward(self, grad_out, need_input_grad: bool = True):
        if not need_input_grad:
            return None
        if self._x_shape is None:
            raise RuntimeError("Dropout.backward called before forward")
        grad_out = check_grad_shape(grad_out, self._x_shape, "Dropout")
        if self._mask is None:            # eval mode or p == 0: identity
            return grad_out
        return grad_out * self._mask

    def __repr__(self):
        return f"Dropout(p={self.p})"
