r"""Activation functions, as functions and as modules with a backward pass.

Every activation acts element-wise except ``Softmax`` (along the last axis). In the
backward formulas :math:`g = \partial L/\partial y` is the incoming gradient and
:math:`\odot` the element-wise product.
"""

from __future__ import annotations

import numpy as np

from .core import Module
from .validation import as_float_array, check_grad_shape, check_number


def _as_float(x, name: str = "x") -> np.ndarray:
    """``x`` as a float array: integers and booleans become float64 (a new array)."""
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        return x.astype(np.float64)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    return x


def _forward_first(module, attr: str, grad_out):
    """The value ``backward`` needs from ``forward`` (a clear error if there is none), and
    ``grad_out`` as an array of its shape, the shape of the output (never broadcast)."""
    value = getattr(module, attr, None)
    if value is None:
        raise RuntimeError(f"{type(module).__name__}.backward called before forward")
    return value, check_grad_shape(grad_out, value.shape, type(module).__name__)


def sigmoid(x):
    r""":math:`\sigma(x) = 1/(1+e^{-x})`, computed without overflow for large :math:`|x|`.

    With :math:`e = e^{-|x|} \in (0, 1]`: :math:`\sigma(x) = 1/(1+e)` for :math:`x \ge 0`
    and :math:`e/(1+e)` for :math:`x < 0`; no exponential of a large positive number.
    Integer input gives float64 output.
    """
    x = _as_float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def softmax(z, axis: int = -1):
    r"""Softmax :math:`s_k = e^{z_k - m} / \sum_j e^{z_j - m}` with :math:`m = \max_j z_j`.

    Subtracting the maximum changes nothing mathematically and keeps every exponent
    :math:`\le 0`, so nothing overflows (the log-sum-exp trick).
    """
    z = _as_float(z, "z")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z, axis: int = -1):
    r""":math:`\log s_k = z_k - m - \log\sum_j e^{z_j - m}` (stable log-sum-exp)."""
    z = _as_float(z, "z")
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class ReLU(Module):
    r""":math:`y = \max(0, x)`; :math:`\partial L/\partial x = g \odot [x > 0]`.

    The derivative at exactly 0 is taken as 0 (the kink).
    """

    def forward(self, x):
        x = as_float_array(x, "x")
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_out, need_input_grad=True):
        mask, grad_out = _forward_first(self, "_mask", grad_out)
        return grad_out * mask if need_input_grad else None

    def __repr__(self):
        return "ReLU()"


class LeakyReLU(Module):
    r""":math:`y = x` for :math:`x > 0`, :math:`\alpha x` otherwise;
    :math:`\partial L/\partial x = g \odot (1 \text{ if } x>0 \text{ else } \alpha)`."""

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = check_number(negative_slope, "negative_slope", 0.0, 1.0)

    def forward(self, x):
        x = as_float_array(x, "x")
        self._slope = np.where(x > 0, 1.0, self.negative_slope).astype(x.dtype)
        return x * self._slope

    def backward(self, grad_out, need_input_grad=True):
        slope, grad_out = _forward_first(self, "_slope", grad_out)
        return grad_out * slope if need_input_grad else None

    def __repr__(self):
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(Module):
    r""":math:`y = \sigma(x)`; :math:`\partial L/\partial x = g \odot y (1 - y)`."""

    def forward(self, x):
        x = as_float_array(x, "x")
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad_out, need_input_grad=True):
        y, grad_out = _forward_first(self, "_y", grad_out)
        return grad_out * y * (1 - y) if need_input_grad else None

    def __repr__(self):
        return "Sigmoid()"


class Tanh(Module):
    r""":math:`y = \tanh x`; :math:`\partial L/\partial x = g \odot (1 - y^2)`."""

    def forward(self, x):
        x = as_float_array(x, "x")
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad_out, need_input_grad=True):
        y, grad_out = _forward_first(self, "_y", grad_out)
        return grad_out * (1 - y ** 2) if need_input_grad else None

    def __repr__(self):
        return "Tanh()"


class Softmax(Module):
    r"""Softmax along the last axis, shape ``(N, K)`` to ``(N, K)``.

    Its Jacobian is :math:`\partial s_i/\partial z_j = s_i(\delta_{ij} - s_j)`, so

    .. math:: \frac{\partial L}{\partial z} = s \odot \Big(g - \sum_j g_j s_j\Big).

    For classification use :class:`nnlib.losses.SoftmaxCrossEntropy` on the logits
    instead: the fused gradient :math:`s - y` is cheaper and more accurate.
    """

    def forward(self, x):
        x = as_float_array(x, "x", ndim=2)
        self._s = softmax(x)
        return self._s

    def backward(self, grad_out, need_input_grad=True):
        if not need_input_grad:
            return None
        s, grad_out = _forward_first(self, "_s", grad_out)
        return s * (grad_out - (grad_out * s).sum(axis=-1, keepdims=True))

    def __repr__(self):
        return "Softmax()"


class Identity(Module):
    """:math:`y = x` (a linear output, or a placeholder)."""

    def forward(self, x):
        return as_float_array(x, "x")

    def backward(self, grad_out, need_input_grad=True):
        return grad_out if need_input_grad else None

    def __repr__(self):
        return "Identity()"


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh,
               "identity": Identity}


def get_activation(name: str) -> Module:
    """A new activation module from its name: relu, leaky_relu, sigmoid, tanh, identity."""
    if isinstance(name, Module):
        return name
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name.lower()]()
