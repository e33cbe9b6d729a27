r"""Exercises of chapter 2, a two-layer network on circles (``book/02_two_layer_circles.ipynb``).

The network: :math:`Z_1 = X W_1 + \mathbf b_1`, :math:`A_1 = \operatorname{ReLU}(Z_1)`,
:math:`\mathbf z_2 = A_1 W_2 + b_2`, :math:`\mathbf p = \sigma(\mathbf z_2)`, with the mean
binary cross-entropy. Shapes: ``X`` ``(N, d)``, ``W1`` ``(d, H)``, ``b1`` ``(H,)``,
``W2`` ``(H, 1)``, ``b2`` ``(1,)``; logits, probabilities and targets ``t`` are columns
``(N, 1)``.

=================================  ==========================================================
name                               the learner writes
=================================  ==========================================================
``ch02.he_normal``                 :math:`W \sim \mathcal N(0, 2/n_\text{in})`, drawn from ``default_rng(seed)``
``ch02.two_layer_forward``         :math:`\mathbf p = \sigma(\operatorname{ReLU}(XW_1 + \mathbf b_1) W_2 + b_2)`
``ch02.bce_with_logits``           the mean binary cross-entropy from logits, without overflow
``ch02.bce_with_logits_grad``      :math:`\partial L/\partial \mathbf z = (\sigma(\mathbf z) - \mathbf t)/N`
``ch02.two_layer_backward``        ``(dW1, db1, dW2, db2)`` by the chain rule
=================================  ==========================================================

The references come from ``nnlib`` (``init.he_normal``, ``Dense``, ``ReLU``,
``BinaryCrossEntropy``); each solution is the code of the chapter's solution cell.
"""

from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid

from ._core import register


def _network(rng, n, d, h):
    """A batch, 0/1 targets as a column, and float64 weights of a d-h-1 network."""
    X = rng.normal(0, 1, size=(n, d))
    t = (rng.random((n, 1)) < 0.5).astype(np.float64)
    W1 = rng.normal(0, np.sqrt(2.0 / d), size=(d, h))
    b1 = rng.normal(0, 0.3, size=h)
    W2 = rng.normal(0, 1.0, size=(h, 1))
    b2 = rng.normal(0, 0.3, size=1)
    return X, t, W1, b1, W2, b2


def _nnlib_network(W1, b1, W2, b2):
    """``Sequential(Dense, ReLU, Dense)`` in float64 holding copies of the given weights."""
    from nnlib.activations import ReLU
    from nnlib.core import Sequential
    from nnlib.layers import Dense
    model = Sequential(Dense(W1.shape[0], W1.shape[1], dtype=np.float64), ReLU(),
                       Dense(W1.shape[1], 1, dtype=np.float64))
    for p, value in zip(model.parameters(), (W1, b1, W2, b2)):
        p.value[...] = value
    return model


# --------------------------------------------------------------------------- He init
he_ex = register(
    "ch02.he_normal", title="He initialisation",
    instructions="with rng = np.random.default_rng(seed), return an (n_in, n_out) weight "
                 "matrix drawn from N(0, 2 / n_in): rng.standard_normal((n_in, n_out)) "
                 "times the standard deviation",
    hint="He et al. keep the second moment of ReLU activations constant with the variance "
         "2 / n_in, so the standard deviation is np.sqrt(2 / n_in); draw with "
         "rng.standard_normal((n_in, n_out)), not np.random")


@he_ex.inputs
def _he_inputs(rng):
    return [(16, 1, int(rng.integers(2**31))), (2, 16, int(rng.integers(2**31))),
            (100, 30, int(rng.integers(2**31)))]


@he_ex.reference
def _he_reference(n_in, n_out, seed):
    from nnlib.init import he_normal
    return he_normal(n_in, n_out, rng=seed, dtype=np.float64)


@he_ex.solution
def he_normal(n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    std = np.sqrt(2.0 / n_in)
    return rng.standard_normal((n_in, n_out)) * std


@he_ex.mistake("2 / n_in is the variance; multiply the standard normals by its square root, "
               "the standard deviation np.sqrt(2 / n_in)")
def _he_variance(n_in, n_out, seed):
    return np.random.default_rng(seed).standard_normal((n_in, n_out)) * (2.0 / n_in)


@he_ex.mistake("that is Xavier/Glorot's variance 2 / (n_in + n_out), made for tanh and "
               "sigmoid; He's variance for ReLU is 2 / n_in")
def _he_xavier(n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))


@he_ex.mistake("ReLU zeroes half of its inputs, which halves the second moment: He "
               "compensates with a factor 2, variance 2 / n_in, not 1 / n_in")
def _he_no_factor_two(n_in, n_out, seed):
    return np.random.default_rng(seed).standard_normal((n_in, n_out)) * np.sqrt(1.0 / n_in)


# --------------------------------------------------------------------------- forward
forward_ex = register(
    "ch02.two_layer_forward", title="the forward pass of the two-layer network",
    instructions="return p = sigmoid(ReLU(X @ W1 + b1) @ W2 + b2), a column of shape (N, 1)",
    hint="three steps: Z1 = X @ W1 + b1, A1 = np.maximum(Z1, 0), z2 = A1 @ W2 + b2; then "
         "p = 1 / (1 + exp(-z2))")


@forward_ex.inputs
def _forward_inputs(rng):
    cases = []
    for n, d, h in [(6, 2, 4), (9, 2, 16), (5, 3, 2)]:
        X, _, W1, b1, W2, b2 = _network(rng, n, d, h)
        cases.append((X, W1, b1, W2, b2))
    return cases


@forward_ex.reference
def _forward_reference(X, W1, b1, W2, b2):
    return sigmoid(_nnlib_network(W1, b1, W2, b2).forward(X))


@forward_ex.solution
def two_layer_forward(X, W1, b1, W2, b2):
    Z1 = X @ W1 + b1                 # (N, H)
    A1 = np.maximum(Z1, 0.0)         # ReLU
    z2 = A1 @ W2 + b2                # (N, 1) logits
    return 1.0 / (1.0 + np.exp(-z2))


@forward_ex.mistake("the hidden layer needs its activation: A1 = np.maximum(Z1, 0) before "
                    "the second layer; without it the network is linear")
def _forward_no_relu(X, W1, b1, W2, b2):
    return sigmoid((X @ W1 + b1) @ W2 + b2)


@forward_ex.mistake("you returned the logits z2; the probability is sigmoid(z2)")
def _forward_logits(X, W1, b1, W2, b2):
    return np.maximum(X @ W1 + b1, 0.0) @ W2 + b2


# --------------------------------------------------------------------------- BCE loss
bce_ex = register(
    "ch02.bce_with_logits", title="the binary cross-entropy from logits",
    instructions="given logits z (N, 1) and targets t (N, 1) in {0, 1}, return the mean "
                 "over the batch of max(z, 0) - z t + log(1 + exp(-|z|)), a float",
    hint="for large |z| sigmoid(z) rounds to exactly 0 or 1 and log(p) becomes -inf; the "
         "stable form max(z, 0) - z t + np.log1p(np.exp(-np.abs(z))) never takes the log of 0 "
         "nor the exp of a large number")


@bce_ex.inputs
def _bce_inputs(rng):
    cases = []
    for n in (5, 8):
        cases.append((rng.normal(0, 2, size=(n, 1)), (rng.random((n, 1)) < 0.5) * 1.0))
    # Confident logits, some of them wrong: the naive formula gives inf here.
    cases.append((np.array([[40.0], [-40.0], [800.0], [-800.0], [3.0], [-0.5]]),
                  np.array([[0.0], [1.0], [1.0], [1.0], [1.0], [0.0]])))
    return cases


@bce_ex.reference
def _bce_reference(z, t):
    from nnlib.losses import BinaryCrossEntropy
    return BinaryCrossEntropy().forward(z, t)


@bce_ex.solution
def bce_with_logits(z, t):
    per_sample = np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return per_sample.mean()


@bce_ex.mistake("the loss is the mean over the batch, not the sum: divide by N "
                "(or use .mean())")
def _bce_sum(z, t):
    return (np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))).sum()


@bce_ex.mistake("check the sign: the cross-entropy is -(t log p + (1 - t) log(1 - p)), which "
                "is max(z, 0) - z t + log(1 + exp(-|z|)), a positive number")
def _bce_sign(z, t):
    return -(np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))).mean()


# --------------------------------------------------------------------------- BCE gradient
bce_grad_ex = register(
    "ch02.bce_with_logits_grad", title="the gradient of the binary cross-entropy",
    instructions="given logits z (N, 1) and targets t (N, 1), return "
                 "dL/dz = (sigmoid(z) - t) / N, of shape (N, 1)",
    hint="the sigmoid's derivative cancels the log's: dL/dz_n = (sigma(z_n) - t_n) / N")


@bce_grad_ex.inputs
def _bce_grad_inputs(rng):
    return [(rng.normal(0, 2, size=(n, 1)), (rng.random((n, 1)) < 0.5) * 1.0)
            for n in (4, 7, 12)]


@bce_grad_ex.reference
def _bce_grad_reference(z, t):
    from nnlib.losses import BinaryCrossEntropy
    loss = BinaryCrossEntropy()
    loss.forward(z, t)
    return loss.backward()


@bce_grad_ex.solution
def bce_with_logits_grad(z, t):
    N = z.shape[0]
    p = 1.0 / (1.0 + np.exp(-z))
    return (p - t) / N


@bce_grad_ex.mistake("the loss is the mean over the batch, so its gradient carries a factor "
                     "1/N: divide by N = z.shape[0]")
def _bce_grad_no_mean(z, t):
    return sigmoid(z) - t


@bce_grad_ex.mistake("check the sign: the gradient is (sigma(z) - t) / N, positive when the "
                     "prediction is too high")
def _bce_grad_sign(z, t):
    return (t - sigmoid(z)) / z.shape[0]


@bce_grad_ex.mistake("that is dL/dp, the gradient with respect to the probability; the chain "
                     "rule multiplies it by dp/dz = p (1 - p), which gives (p - t) / N")
def _bce_grad_wrt_p(z, t):
    p = sigmoid(z)
    return -(t / p - (1 - t) / (1 - p)) / z.shape[0]


# --------------------------------------------------------------------------- backward
backward_ex = register(
    "ch02.two_layer_backward", title="the backward pass of the two-layer network",
    instructions="given X, t (N, 1) and the weights, run the forward pass and return the "
                 "gradients of the mean binary cross-entropy (dW1, db1, dW2, db2), each with "
                 "the shape of its parameter",
    hint="go backwards: d_z2 = (p - t) / N; dW2 = A1.T @ d_z2, db2 = d_z2.sum(axis=0); "
         "d_a1 = d_z2 @ W2.T; d_z1 = d_a1 * (Z1 > 0); dW1 = X.T @ d_z1, db1 = d_z1.sum(axis=0)",
    output_names=("dW1", "db1", "dW2", "db2"))


@backward_ex.inputs
def _backward_inputs(rng):
    return [_network(rng, n, d, h) for n, d, h in [(6, 2, 4), (10, 2, 16), (7, 3, 5)]]


@backward_ex.reference
def _backward_reference(X, t, W1, b1, W2, b2):
    from nnlib.losses import BinaryCrossEntropy
    model = _nnlib_network(W1, b1, W2, b2)
    loss = BinaryCrossEntropy()
    loss.forward(model.forward(X), t)
    model.backward(loss.backward())
    return tuple(p.grad.copy() for p in model.parameters())


@backward_ex.solution
def two_layer_backward(X, t, W1, b1, W2, b2):
    N = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    z2 = A1 @ W2 + b2
    p = 1.0 / (1.0 + np.exp(-z2))
    d_loss__d_z2 = (p - t) / N                       # (N, 1)
    d_loss__d_W2 = A1.T @ d_loss__d_z2               # (H, 1)
    d_loss__d_b2 = d_loss__d_z2.sum(axis=0)          # (1,)
    d_loss__d_a1 = d_loss__d_z2 @ W2.T               # (N, H)
    d_loss__d_z1 = d_loss__d_a1 * (Z1 > 0)           # ReLU'(Z1) = [Z1 > 0]
    d_loss__d_W1 = X.T @ d_loss__d_z1                # (d, H)
    d_loss__d_b1 = d_loss__d_z1.sum(axis=0)          # (H,)
    return d_loss__d_W1, d_loss__d_b1, d_loss__d_W2, d_loss__d_b2


def _backward_with(X, t, W1, b1, W2, b2, mask=True, scale=True):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    p = sigmoid(A1 @ W2 + b2)
    d_z2 = (p - t) / (X.shape[0] if scale else 1)
    d_a1 = d_z2 @ W2.T
    d_z1 = d_a1 * (Z1 > 0) if mask else d_a1
    return X.T @ d_z1, d_z1.sum(axis=0), A1.T @ d_z2, d_z2.sum(axis=0)


@backward_ex.mistake("between d_a1 and d_z1 comes ReLU's derivative: d_z1 = d_a1 * (Z1 > 0)")
def _backward_no_mask(X, t, W1, b1, W2, b2):
    return _backward_with(X, t, W1, b1, W2, b2, mask=False)


@backward_ex.mistake("the loss is the mean over the batch, so d_z2 = (p - t) / N: the 1/N "
                     "then flows into every gradient")
def _backward_no_mean(X, t, W1, b1, W2, b2):
    return _backward_with(X, t, W1, b1, W2, b2, scale=False)


@backward_ex.mistake("ReLU's mask comes from its input Z1 (Z1 > 0), not from the sign of the "
                     "gradient d_a1")
def _backward_gradient_mask(X, t, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    d_z2 = (sigmoid(A1 @ W2 + b2) - t) / X.shape[0]
    d_a1 = d_z2 @ W2.T
    d_z1 = np.maximum(d_a1, 0.0)
    return X.T @ d_z1, d_z1.sum(axis=0), A1.T @ d_z2, d_z2.sum(axis=0)
