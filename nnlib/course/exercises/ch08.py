r"""Exercises of chapter 8, training deep networks.

===========================  ====================================================================
name                         the learner writes
===========================  ====================================================================
``ch08.batchnorm_eval``      *check*: batch norm in evaluation mode, for ``(N, C)`` and
                             ``(N, C, H, W)`` inputs, from the running statistics
``ch08.batchnorm_backward``  *build*: batch norm's backward pass in training mode, where the
                             batch's mean and variance depend on every input
``ch08.dead_units``          *build*: the fraction of ReLU units of each layer that output 0
                             for every sample of a batch
``ch08.stable_gain``         *investigate*: the weight scale that keeps the signal's size
                             through a deep network, for an activation the learner is given
===========================  ====================================================================

The references come from :class:`nnlib.BatchNorm` (both modes), from a forward pass through
the model's layers, and from Gauss-Hermite quadrature of the activation's second moment.
"""

from __future__ import annotations

import numpy as np

from ._core import register


def _bn(C, gamma, beta, running_mean=None, running_var=None, eps=1e-5):
    from nnlib import BatchNorm
    bn = BatchNorm(C, eps=eps, dtype=np.float64)
    bn.gamma.value[...] = gamma
    bn.beta.value[...] = beta
    if running_mean is not None:
        bn.running_mean[...] = running_mean
        bn.running_var[...] = running_var
    return bn


def _per_channel(v, x):
    """A per-channel vector shaped to broadcast against x: (C,) or (1, C, 1, 1)."""
    return v if x.ndim == 2 else v.reshape(1, -1, 1, 1)


# --------------------------------------------------------------------------- eval mode
eval_ex = register(
    "ch08.batchnorm_eval", title="batch norm in evaluation mode",
    instructions="x has shape (N, C) or (N, C, H, W); running_mean, running_var, gamma and "
                 "beta have shape (C,), one number per feature or channel. Return batch "
                 "norm's output in evaluation mode, of the shape of x",
    hint="evaluation mode standardises every value of feature (channel) c with the running "
         "statistics of c: (x - mean_c) / sqrt(var_c + eps), then scales by gamma_c and "
         "shifts by beta_c")


@eval_ex.inputs
def _eval_inputs(rng):
    cases = []
    for shape in [(5, 3), (8, 4), (2, 3, 4, 4), (3, 2, 5, 3)]:
        C = shape[1]
        x = rng.standard_normal(shape) * 3 + 1
        var = rng.uniform(1e-4, 4.0, C)
        var[0] = 2e-4                              # a variance where eps matters
        cases.append((x, rng.standard_normal(C), var, rng.uniform(0.5, 2, C),
                      rng.standard_normal(C), 1e-5 if C != 4 else 1e-3))
    return cases


@eval_ex.reference
def _eval_reference(x, running_mean, running_var, gamma, beta, eps):
    bn = _bn(x.shape[1], gamma, beta, running_mean, running_var, eps).eval()
    return bn.forward(x)


@eval_ex.solution
def batchnorm_eval(x, running_mean, running_var, gamma, beta, eps):
    def shaped(v):
        return v if x.ndim == 2 else v.reshape(1, -1, 1, 1)
    x_hat = (x - shaped(running_mean)) / np.sqrt(shaped(running_var) + eps)
    return shaped(gamma) * x_hat + shaped(beta)


@eval_ex.mistake("evaluation mode must not use the batch's own mean and variance (that is "
                 "training mode): use running_mean and running_var")
def _eval_batch_stats(x, running_mean, running_var, gamma, beta, eps):
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
        x.var(axis=axes, keepdims=True) + eps)
    return _per_channel(gamma, x) * x_hat + _per_channel(beta, x)


@eval_ex.mistake("divide by the standard deviation sqrt(var + eps), not by the variance")
def _eval_var_not_std(x, running_mean, running_var, gamma, beta, eps):
    x_hat = (x - _per_channel(running_mean, x)) / (_per_channel(running_var, x) + eps)
    return _per_channel(gamma, x) * x_hat + _per_channel(beta, x)


@eval_ex.mistake("eps belongs under the square root, in every mode: sqrt(var + eps); it "
                 "matters for a feature of small variance")
def _eval_no_eps(x, running_mean, running_var, gamma, beta, eps):
    x_hat = (x - _per_channel(running_mean, x)) / np.sqrt(_per_channel(running_var, x))
    return _per_channel(gamma, x) * x_hat + _per_channel(beta, x)


@eval_ex.mistake("the shift comes after the scale: gamma * x_hat + beta, not "
                 "gamma * (x_hat + beta)")
def _eval_shift_inside(x, running_mean, running_var, gamma, beta, eps):
    x_hat = (x - _per_channel(running_mean, x)) / np.sqrt(_per_channel(running_var, x) + eps)
    return _per_channel(gamma, x) * (x_hat + _per_channel(beta, x))


# --------------------------------------------------------------------------- backward
backward_ex = register(
    "ch08.batchnorm_backward", title="batch norm's backward pass in training mode",
    instructions="x has shape (N, C) and went through batch norm in training mode (the "
                 "batch's mean and biased variance per feature, then gamma * x_hat + beta); "
                 "grad_out = dL/dy has the shape of x. Return the tuple (dx, dgamma, dbeta)",
    hint="dgamma and dbeta are sums over the batch; for dx remember that the batch mean and "
         "the batch variance are functions of every x in the batch: follow x to y along "
         "all three paths (directly, through the mean, through the variance)",
    output_names=("dx", "dgamma", "dbeta"), rtol=1e-6, atol=1e-9)


@backward_ex.inputs
def _backward_inputs(rng):
    cases = []
    for n, c in [(4, 3), (7, 2), (16, 5), (3, 1)]:
        x = rng.standard_normal((n, c)) * rng.uniform(0.5, 3, c) + rng.standard_normal(c)
        cases.append((x, rng.uniform(0.5, 2, c), rng.standard_normal(c) * 0.5,
                      rng.standard_normal((n, c)), 1e-5))
    return cases


@backward_ex.reference
def _backward_reference(x, gamma, beta, grad_out, eps):
    bn = _bn(x.shape[1], gamma, beta, eps=eps)
    bn.forward(x)
    dx = bn.backward(grad_out)
    return dx, bn.gamma.grad.copy(), bn.beta.grad.copy()


@backward_ex.solution
def batchnorm_backward(x, gamma, beta, grad_out, eps):
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    dgamma = (grad_out * x_hat).sum(axis=0)
    dbeta = grad_out.sum(axis=0)
    g = grad_out * gamma                                   # dL/dx_hat
    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, dgamma, dbeta


def _parts(x, gamma, grad_out, eps):
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    return inv_std, x_hat, grad_out * gamma


@backward_ex.mistake("the batch mean and variance depend on x too: treating them as "
                     "constants gives gamma * grad_out / std, the gradient of evaluation "
                     "mode, not of training mode")
def _backward_constant_stats(x, gamma, beta, grad_out, eps):
    inv_std, x_hat, g = _parts(x, gamma, grad_out, eps)
    return inv_std * g, (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)


@backward_ex.mistake("you followed x through the mean but not through the variance: a term "
                     "proportional to x_hat * mean(dL/dx_hat * x_hat) is missing")
def _backward_no_var_path(x, gamma, beta, grad_out, eps):
    inv_std, x_hat, g = _parts(x, gamma, grad_out, eps)
    return (inv_std * (g - g.mean(axis=0)), (grad_out * x_hat).sum(axis=0),
            grad_out.sum(axis=0))


@backward_ex.mistake("dgamma is the sum of grad_out * x_hat (y = gamma * x_hat + beta), "
                     "not the sum of grad_out")
def _backward_dgamma_no_xhat(x, gamma, beta, grad_out, eps):
    dx, _, dbeta = batchnorm_backward(x, gamma, beta, grad_out, eps)
    return dx, grad_out.sum(axis=0), dbeta


@backward_ex.mistake("the parameters' gradients are sums over the batch, not means: every "
                     "sample's loss term depends on gamma and beta")
def _backward_param_means(x, gamma, beta, grad_out, eps):
    dx, dgamma, dbeta = batchnorm_backward(x, gamma, beta, grad_out, eps)
    n = x.shape[0]
    return dx, dgamma / n, dbeta / n


# --------------------------------------------------------------------------- dead units
dead_ex = register(
    "ch08.dead_units", title="the dead ReLU units of every layer",
    instructions="model is an nnlib.Sequential and X a batch. Pass X through the layers one "
                 "by one in evaluation mode (layer.forward) and, after every ReLU layer, "
                 "compute the fraction of its units (columns) that are 0 for every sample "
                 "of the batch. Return these fractions as an array, one per ReLU layer, in "
                 "order",
    hint="a unit is dead when its whole column of the ReLU's output is 0: np.all(a == 0, "
         "axis=0), then the mean over the units")


def _dead_model(rng, widths, kill):
    from nnlib import Dense, ReLU, Sequential, Tanh
    layers, n_in = [], widths[0]
    for i, w in enumerate(widths[1:]):
        dense = Dense(n_in, w, seed=rng, dtype=np.float64)
        dense.b.value[...] = rng.normal(0, 0.3, w)
        dead = rng.random(w) < kill                     # biases far below every input
        dense.b.value[dead] = -50.0
        layers += [dense, Tanh() if i == 1 else ReLU()]
        n_in = w
    layers.append(Dense(n_in, 3, seed=rng, dtype=np.float64))
    return Sequential(*layers)


@dead_ex.inputs
def _dead_inputs(rng):
    cases = []
    for widths, kill in [([6, 10, 8, 12], 0.3), ([4, 20, 5, 16, 9], 0.5), ([8, 16, 16], 0.1)]:
        cases.append((_dead_model(rng, widths, kill), rng.standard_normal((40, widths[0]))))
    return cases


@dead_ex.reference
def _dead_reference(model, X):
    from nnlib import ReLU
    from nnlib.diagnostics import activation_stats
    stats = activation_stats(model, X, keep_values=True)
    out = []
    for s in stats:
        if s.layer == ReLU.__name__:
            a = s.values.reshape(len(X), -1)
            out.append(np.mean(np.all(a == 0, axis=0)))
    return np.array(out)


@dead_ex.solution
def dead_units(model, X):
    from nnlib import ReLU
    model.eval()
    fractions, a = [], X
    for layer in model:
        a = layer.forward(a)
        if isinstance(layer, ReLU):
            fractions.append(np.mean(np.all(a == 0, axis=0)))
    return np.array(fractions)


def _relu_outputs(model, X):
    from nnlib import ReLU
    model.eval()
    a, outs = X, []
    for layer in model:
        a = layer.forward(a)
        if isinstance(layer, ReLU):
            outs.append(a)
    return outs


@dead_ex.mistake("that is the fraction of zero outputs (a unit that is off for some samples "
                 "is not dead): count the units whose output is 0 for *every* sample")
def _dead_zero_fraction(model, X):
    return np.array([np.mean(a == 0) for a in _relu_outputs(model, X)])


@dead_ex.mistake("a unit is a column of the ReLU's output (axis 1 indexes the units): test "
                 "np.all(a == 0, axis=0)")
def _dead_rows(model, X):
    return np.array([np.mean(np.all(a == 0, axis=1)) for a in _relu_outputs(model, X)])


@dead_ex.mistake("that is the number of dead units; return the fraction of the layer's units")
def _dead_counts(model, X):
    return np.array([np.sum(np.all(a == 0, axis=0)) for a in _relu_outputs(model, X)],
                    dtype=float)


@dead_ex.mistake("only ReLU layers count: a tanh unit is never exactly 0 for every sample, "
                 "and the Dense outputs are not activations")
def _dead_every_layer(model, X):
    model.eval()
    a, out = X, []
    for layer in list(model)[:-1]:
        a = layer.forward(a)
        out.append(np.mean(np.all(a == 0, axis=0)))
    return np.array(out)


# --------------------------------------------------------------------------- stable gain
gain_ex = register(
    "ch08.stable_gain", title="the weight scale that keeps a deep network's signal alive",
    instructions="activation is an elementwise function f (a NumPy function of an array). "
                 "Return the gain g for which Dense weights drawn from N(0, g² / n_in) keep "
                 "the size (root mean square) of the signal the same from layer to layer of "
                 "a deep network of f, at any width. Find it by experiment or by derivation, "
                 "to 2 %",
    hint="for f = ReLU the answer is He's sqrt(2); in general measure how one layer changes "
         "the mean square of its input (a standard normal pre-activation z): the signal "
         "keeps its size when g² E[f(z)²] = 1",
    rtol=0.02, atol=0.0)


def _leaky(neg, pos=1.0):
    def f(x):
        return np.where(x > 0, pos * x, neg * x)
    return f


@gain_ex.inputs
def _gain_inputs(rng):
    slopes = [(0.0, 1.0), (0.2, 1.0), (-1.0, 1.0), (0.0, 3.0)]
    slopes += [(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(0.5, 2.0))) for _ in range(2)]
    return [(_leaky(neg, pos),) for neg, pos in slopes]


@gain_ex.reference
def _gain_reference(activation):
    # E[f(z)^2] = integral of f(z)^2 phi(z), z ~ N(0, 1): Gauss-Legendre on [-12, 0] and
    # [0, 12] separately, where the integrand is smooth for the piecewise-linear f given
    t, w = np.polynomial.legendre.leggauss(200)
    second = 0.0
    for lo, hi in [(-12.0, 0.0), (0.0, 12.0)]:
        z = (hi - lo) / 2 * t + (hi + lo) / 2
        phi = np.exp(-z**2 / 2) / np.sqrt(2 * np.pi)
        second += (hi - lo) / 2 * np.sum(w * np.asarray(activation(z), float)**2 * phi)
    return 1.0 / np.sqrt(second)


@gain_ex.solution
def stable_gain(activation):
    z = np.random.default_rng(0).standard_normal(1_000_000)
    return 1.0 / np.sqrt(np.mean(activation(z) ** 2))


@gain_ex.mistake("sqrt(2) is He's gain for ReLU; the activations given differ: measure the one "
                 "you are given")
def _gain_he_always(activation):
    return np.sqrt(2.0)


@gain_ex.mistake("the signal's size is its root mean square, E[f(z)²], which is not the "
                 "variance of f(z): f(z) has a non-zero mean")
def _gain_std(activation):
    z = np.random.default_rng(0).standard_normal(1_000_000)
    return 1.0 / np.std(activation(z))


@gain_ex.mistake("g scales the weights' standard deviation, so it is the *square root* of "
                 "1 / E[f(z)²]")
def _gain_no_sqrt(activation):
    z = np.random.default_rng(0).standard_normal(1_000_000)
    return 1.0 / np.mean(activation(z) ** 2)


@gain_ex.mistake("E[f(z)²] is the mean of the squares, not the square of the mean")
def _gain_square_of_mean(activation):
    z = np.random.default_rng(0).standard_normal(1_000_000)
    return 1.0 / np.abs(np.mean(activation(z)))
