r"""Normalization layers: ``BatchNorm`` (per feature, over the batch) and ``LayerNorm`` (per
sample, over its features).

Both standardise their input and then let the network undo it where that helps, with a
learned scale :math:`\gamma` and shift :math:`\beta`:

.. math::
    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta .

They differ in **which numbers** :math:`\mu` and :math:`\sigma^2` average over. Batch norm
averages one feature (or one channel of an image) over the ``m`` values the batch holds of
it; layer norm averages one sample over its ``D`` features. Their backward passes share one
formula, for the gradient through a standardisation over ``m`` numbers, with
:math:`\hat G = \partial L/\partial \hat x = G\gamma`:

.. math::
    \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
    \Big(\hat G - \operatorname{mean}(\hat G) - \hat x \operatorname{mean}(\hat G \odot \hat x)\Big),

the means taken over the same ``m`` numbers: every input moves the mean and the variance
that all the others are divided by, which the two subtracted terms account for.
"""

from __future__ import annotations

import numpy as np

from .core import Module, Parameter
from .validation import (
    as_float_array,
    check_float_dtype,
    check_grad_shape,
    check_number,
    check_positive_int,
)


def _standardise_backward(G_hat, x_hat, inv_std, axes):
    """dL/dx of ``x_hat = (x - mean) * inv_std`` over ``axes``, given ``G_hat = dL/dx_hat``."""
    return inv_std * (G_hat - G_hat.mean(axis=axes, keepdims=True)
                      - x_hat * (G_hat * x_hat).mean(axis=axes, keepdims=True))


class BatchNorm(Module):
    r"""Batch normalization (Ioffe and Szegedy, 2015), for Dense outputs ``(N, C)`` and images
    ``(N, C, H, W)``.

    **Training mode**: each feature ``c`` is standardised with the mean and the (biased)
    variance of its values in the batch, over the ``m = N`` rows, or the ``m = N H W``
    pixels of channel ``c``; then scaled by :math:`\gamma_c` and shifted by
    :math:`\beta_c`. The running statistics follow the batches:

    .. math::
        \mu_\text{run} \leftarrow (1 - \text{momentum})\,\mu_\text{run} + \text{momentum}\,\mu_B,
        \qquad
        \sigma^2_\text{run} \leftarrow (1 - \text{momentum})\,\sigma^2_\text{run}
        + \text{momentum}\,\tfrac{m}{m - 1}\sigma^2_B

    (the unbiased variance, as PyTorch). **Evaluation mode** (``model.eval()``) uses the
    running statistics instead of the batch's, so a sample's output no longer depends on
    the other samples of its batch: the layer is then a fixed affine map,
    :math:`\partial L/\partial x = G\gamma/\sqrt{\sigma^2_\text{run} + \epsilon}`.
    Evaluating in training mode is a classic bug: the outputs change with the batch.

    Backward in training mode: :math:`\partial L/\partial\gamma = \sum G\odot\hat x`,
    :math:`\partial L/\partial\beta = \sum G`, and :math:`\partial L/\partial x` by the
    formula of the module docstring, the means over the ``m`` values of each feature.

    Parameters
    ----------
    n_features : int
        ``C``: the columns of a Dense output, the channels of an image batch.
    momentum : float in (0, 1]
        Weight of the current batch in the running statistics.
    eps : float > 0
        Added to the variance, so that a constant feature does not divide by zero.
    dtype : numpy dtype
        Of :math:`\gamma`, :math:`\beta` and the running statistics.

    Attributes
    ----------
    gamma, beta : Parameter, shape ``(C,)``
        Start at 1 and 0: at initialisation the layer only standardises.
    running_mean, running_var : ndarray, shape ``(C,)``
        Not trained, but part of the model: saved and loaded with the parameters
        (``state_names``). Start at 0 and 1.
    """

    state_names = ("running_mean", "running_var")

    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5,
                 dtype=np.float32):
        self.n_features = check_positive_int(n_features, "n_features")
        self.momentum = check_number(momentum, "momentum", 0.0, 1.0, low_inclusive=False)
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        check_float_dtype(dtype)
        self.gamma = Parameter(np.ones(n_features, dtype=dtype), "gamma")
        self.beta = Parameter(np.zeros(n_features, dtype=dtype), "beta")
        self.running_mean = np.zeros(n_features, dtype=dtype)
        self.running_var = np.ones(n_features, dtype=dtype)
        self._cache = None

    def _axes_and_shape(self, x):
        """The axes averaged over and the shape that broadcasts a ``(C,)`` vector onto x."""
        if x.shape[1] != self.n_features:
            raise ValueError(f"the input must have {self.n_features} features on axis 1 "
                             f"(n_features of this BatchNorm), got shape {x.shape}")
        if x.ndim == 2:
            return (0,), (1, self.n_features)
        return (0, 2, 3), (1, self.n_features, 1, 1)

    def forward(self, x):
        x = as_float_array(x, "x", ndim=(2, 4))
        axes, shape = self._axes_and_shape(x)
        m = x.size // self.n_features                  # values averaged per feature
        if self.training:
            if m < 2:
                raise ValueError(f"BatchNorm in training mode needs at least 2 values per "
                                 f"feature to estimate a variance, got an input of shape "
                                 f"{x.shape}; use a larger batch, or model.eval()")
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            r = x.dtype.type(self.momentum)
            self.running_mean *= 1 - r                 # in place: the saved arrays
            self.running_mean += r * mean
            self.running_var *= 1 - r
            self.running_var += r * var * (m / (m - 1))
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype).reshape(shape)
        x_hat = (x - mean.reshape(shape)) * inv_std
        self._cache = (x_hat, inv_std, axes, shape, self.training, x.shape)
        return x_hat * self.gamma.value.reshape(shape) + self.beta.value.reshape(shape)

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._cache is None:
            raise RuntimeError("BatchNorm.backward called before forward")
        x_hat, inv_std, axes, shape, training, x_shape = self._cache
        G = check_grad_shape(grad_out, x_shape, "BatchNorm")
        self.gamma.grad[...] = (G * x_hat).sum(axis=axes)     # dL/dgamma = sum G x_hat
        self.beta.grad[...] = G.sum(axis=axes)                 # dL/dbeta = sum G
        if not need_input_grad:
            return None
        G_hat = G * self.gamma.value.reshape(shape)            # dL/dx_hat
        if not training:                                       # fixed statistics
            return G_hat * inv_std
        return _standardise_backward(G_hat, x_hat, inv_std, axes)

    def __repr__(self):
        return f"BatchNorm({self.n_features}, momentum={self.momentum}, eps={self.eps})"


class LayerNorm(Module):
    r"""Layer normalization (Ba, Kiros and Hinton, 2016): each sample standardised over its features.

    For an input ``(N, D)`` (or ``(..., D)``: the last axis), the mean and variance of each
    row, over its ``D`` features, standardise that row; then :math:`\gamma` and
    :math:`\beta` of shape ``(D,)`` scale and shift every row alike. No statistic is shared
    between samples, so training and evaluation compute the same thing and there is no
    running state. Backward: :math:`\partial L/\partial\gamma = \sum G\odot\hat x`,
    :math:`\partial L/\partial\beta = \sum G` (over every axis but the last), and
    :math:`\partial L/\partial x` by the formula of the module docstring, the means over
    each row's ``D`` features.

    Parameters
    ----------
    n_features : int
        ``D``, the length of the last axis; at least 2.
    eps : float > 0
        Added to the variance.
    dtype : numpy dtype
        Of :math:`\gamma` and :math:`\beta`.
    """

    def __init__(self, n_features: int, eps: float = 1e-5, dtype=np.float32):
        self.n_features = check_positive_int(n_features, "n_features")
        if self.n_features < 2:
            raise ValueError("LayerNorm needs n_features >= 2 (a variance over one number is "
                             "0), got 1")
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        check_float_dtype(dtype)
        self.gamma = Parameter(np.ones(n_features, dtype=dtype), "gamma")
        self.beta = Parameter(np.zeros(n_features, dtype=dtype), "beta")
        self._cache = None

    def forward(self, x):
        x = as_float_array(x, "x")
        if x.ndim < 2 or x.shape[-1] != self.n_features:
            raise ValueError(f"the input's last axis must have {self.n_features} features "
                             f"(n_features of this LayerNorm), got shape {x.shape}")
        mean = x.mean(axis=-1, keepdims=True)
        inv_std = (1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)).astype(x.dtype)
        x_hat = (x - mean) * inv_std
        self._cache = (x_hat, inv_std)
        return x_hat * self.gamma.value + self.beta.value

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._cache is None:
            raise RuntimeError("LayerNorm.backward called before forward")
        x_hat, inv_std = self._cache
        G = check_grad_shape(grad_out, x_hat.shape, "LayerNorm")
        batch_axes = tuple(range(G.ndim - 1))
        self.gamma.grad[...] = (G * x_hat).sum(axis=batch_axes)
        self.beta.grad[...] = G.sum(axis=batch_axes)
        if not need_input_grad:
            return None
        return _standardise_backward(G * self.gamma.value, x_hat, inv_std, -1)

    def __repr__(self):
        return f"LayerNorm({self.n_features}, eps={self.eps})"
