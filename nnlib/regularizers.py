r"""Weight penalties: L1, L2 and elastic net.

**One scaling convention, used everywhere.** A penalty :math:`R(W)` is added to the
*mean* batch loss, summed over every weight matrix of the model (biases are never
penalised):

.. math::
    J = \frac1N\sum_n \ell_n \;+\; R, \qquad
    R_{L2} = \frac{\lambda}{2}\sum_{W}\lVert W\rVert_2^2, \qquad
    R_{L1} = \lambda\sum_{W}\lVert W\rVert_1, \qquad
    R_{EN} = \lambda_1\sum_{W}\lVert W\rVert_1 + \frac{\lambda_2}{2}\sum_{W}\lVert W\rVert_2^2 .

Gradients: :math:`\partial R_{L2}/\partial W = \lambda W` (so with plain SGD an L2
penalty is exactly weight decay :math:`\lambda`), :math:`\partial R_{L1}/\partial W =
\lambda\,\operatorname{sign}(W)` (the subgradient 0 is used at exactly 0).

Because :math:`R` is added to the mean loss, :math:`\lambda` does not need rescaling when
the batch size changes.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .core import Module, Parameter
from .validation import check_number


def _weights(params):
    if isinstance(params, Module):
        params = params.parameters()
    if isinstance(params, Parameter):
        params = [params]
    if isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(f"params must be a Module or a list of nnlib Parameters, got "
                        f"{type(params).__name__}")
    params = list(params)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"params must be nnlib Parameters (model.parameters()), "
                            f"got {type(p).__name__}")
    return [p for p in params if p.is_weight]


class Regularizer:
    """Base class: ``penalty(params)`` and ``add_gradient(params)`` over weight matrices."""

    def value(self, W: np.ndarray) -> float:
        """The penalty of one weight matrix."""
        raise NotImplementedError

    def gradient(self, W: np.ndarray) -> np.ndarray:
        """Its gradient, same shape as ``W``."""
        raise NotImplementedError

    def penalty(self, params) -> float:
        """:math:`R`: the sum of ``value(W)`` over the weight matrices in ``params``."""
        return float(sum(self.value(p.value) for p in _weights(params)))

    def add_gradient(self, params) -> None:
        """Add :math:`\\partial R/\\partial W` to each weight's ``grad`` (after ``backward``)."""
        for p in _weights(params):
            p.grad += self.gradient(p.value)

    def __call__(self, params) -> float:
        return self.penalty(params)


class L2(Regularizer):
    r""":math:`R = \frac{\lambda}{2}\lVert W\rVert_2^2`, gradient :math:`\lambda W` ("ridge", weight decay)."""

    def __init__(self, lam: float = 1e-4):
        self.lam = check_number(lam, "lam", 0.0)

    def value(self, W):
        return 0.5 * self.lam * float(np.vdot(W, W))

    def gradient(self, W):
        return self.lam * W

    def __repr__(self):
        return f"L2(lam={self.lam:g})"


class L1(Regularizer):
    r""":math:`R = \lambda\lVert W\rVert_1`, gradient :math:`\lambda\operatorname{sign}(W)` ("lasso").

    The constant-size pull towards zero drives small weights to (near) zero: sparsity.
    """

    def __init__(self, lam: float = 1e-5):
        self.lam = check_number(lam, "lam", 0.0)

    def value(self, W):
        return self.lam * float(np.abs(W).sum())

    def gradient(self, W):
        return self.lam * np.sign(W)

    def __repr__(self):
        return f"L1(lam={self.lam:g})"


class ElasticNet(Regularizer):
    r"""L1 plus L2 (Zou & Hastie, 2005): :math:`\lambda_1\lVert W\rVert_1 + \frac{\lambda_2}{2}\lVert W\rVert_2^2`."""

    def __init__(self, l1: float = 1e-5, l2: float = 1e-4):
        self.l1 = L1(check_number(l1, "l1", 0.0))
        self.l2 = L2(check_number(l2, "l2", 0.0))

    def value(self, W):
        return self.l1.value(W) + self.l2.value(W)

    def gradient(self, W):
        return self.l1.gradient(W) + self.l2.gradient(W)

    def __repr__(self):
        return f"ElasticNet(l1={self.l1.lam:g}, l2={self.l2.lam:g})"
