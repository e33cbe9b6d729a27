r"""Loss functions. Each returns the **mean over the batch** and its gradient.

Interface: ``loss = L.forward(output, target)`` returns a Python float;
``L.backward()`` returns :math:`\partial L/\partial \text{output}` (same shape as ``output``),
ready to be fed to ``model.backward``.
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax, sigmoid, softmax
from .validation import as_float_array, as_labels


class Loss:
    """Base class: ``forward(output, target) -> float`` and ``backward() -> gradient``."""

    def __call__(self, output, target):
        return self.forward(output, target)

    def _check_called(self):
        if getattr(self, "_cache", None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")

    def __repr__(self):
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropy(Loss):
    r"""Softmax followed by cross-entropy, fused, for integer labels.

    For logits :math:`Z` of shape ``(N, K)`` and labels :math:`y_n \in \{0..K-1\}`:

    .. math::
        L = -\frac1N \sum_{n} \log \operatorname{softmax}(z_n)_{y_n}
          = \frac1N \sum_n \Big(\log\sum_k e^{z_{nk}} - z_{n,y_n}\Big),
        \qquad
        \frac{\partial L}{\partial Z} = \frac1N\big(\operatorname{softmax}(Z) - Y\big),

    with :math:`Y` the one-hot labels. ``log_softmax`` uses the log-sum-exp trick, so
    logits of :math:`\pm 10^4` give finite losses and gradients.
    """

    def forward(self, logits, y):
        logits = as_float_array(logits, "logits", ndim=2)
        y = as_labels(y, "y", n_samples=logits.shape[0], n_classes=logits.shape[1])
        logp = log_softmax(logits)
        n = logits.shape[0]
        self._cache = (logp, y)
        return float(-logp[np.arange(n), y].mean())

    def backward(self):
        self._check_called()
        logp, y = self._cache
        n = logp.shape[0]
        grad = np.exp(logp)                  # softmax(Z), shape (N, K)
        grad[np.arange(n), y] -= 1.0         # softmax(Z) - Y
        grad /= n                            # mean over the batch
        return grad


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy computed from logits (sigmoid fused in), for 0/1 targets.

    With :math:`p = \sigma(z)` and :math:`t \in [0, 1]`:

    .. math::
        L = -\frac1N \sum_n \big(t_n \log p_n + (1-t_n)\log(1-p_n)\big)
          = \frac1N \sum_n \big(\max(z_n,0) - z_n t_n + \log(1 + e^{-|z_n|})\big),
        \qquad \frac{\partial L}{\partial z} = \frac1N(\sigma(z) - t).

    The second form never takes the log of 0 or the exp of a large number.
    ``z`` may be ``(N,)`` or ``(N, 1)``; ``t`` then has ``N`` values.
    """

    def forward(self, logits, target):
        logits = as_float_array(logits, "logits", ndim=(1, 2))
        if logits.ndim == 2 and logits.shape[1] != 1:
            raise ValueError(f"logits must have shape (N,) or (N, 1), got {logits.shape}")
        t = np.asarray(target)
        if t.dtype.kind == "b":
            t = t.astype(logits.dtype)
        if t.dtype.kind not in "iuf":
            raise ValueError(f"target must hold numbers 0/1, got dtype {t.dtype}")
        if t.size != logits.shape[0]:
            raise ValueError(f"target has {t.size} values but logits have {logits.shape[0]} rows")
        t = t.reshape(logits.shape).astype(logits.dtype, copy=False)
        if not np.isfinite(t).all():
            raise ValueError("target contains NaN or infinite values; expected class labels "
                             "0 and 1 (or numbers in [0, 1])")
        if t.min() < 0 or t.max() > 1:
            raise ValueError("target must be in [0, 1] (class labels 0 and 1), "
                             f"got values from {t.min()} to {t.max()}")
        z = logits
        self._cache = (z, t)
        loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        return float(loss.mean())

    def backward(self):
        self._check_called()
        z, t = self._cache
        return (sigmoid(z) - t) / z.shape[0]


class MeanSquaredError(Loss):
    r"""Mean over the batch of the squared error summed over outputs.

    .. math::
        L = \frac1N \sum_n \lVert \hat y_n - y_n \rVert^2, \qquad
        \frac{\partial L}{\partial \hat y} = \frac2N (\hat Y - Y).
    """

    def forward(self, prediction, target):
        prediction = as_float_array(prediction, "prediction", ndim=(1, 2))
        target = np.asarray(target)
        if target.dtype.kind not in "iufb":
            raise ValueError(f"target must hold numbers, got dtype {target.dtype}")
        target = as_float_array(target.astype(prediction.dtype, copy=False), "target")
        if target.shape != prediction.shape:
            # only a column against a flat vector of the same length: (N,) and (N, 1)
            n = prediction.shape[0]
            if target.shape == (n,) and prediction.shape == (n, 1):
                target = target[:, None]
            elif target.shape == (n, 1) and prediction.shape == (n,):
                target = target[:, 0]
            else:
                raise ValueError(f"target must have shape {prediction.shape} (or {(n,)} for one "
                                 f"output), got {target.shape}")
        diff = prediction - target
        self._cache = diff
        n = prediction.shape[0]
        return float((diff ** 2).sum() / n)

    def backward(self):
        self._check_called()
        diff = self._cache
        return diff * (2.0 / diff.shape[0])


__all__ = ["Loss", "SoftmaxCrossEntropy", "BinaryCrossEntropy", "MeanSquaredError",
           "softmax", "sigmoid"]
