r"""Exercises of chapter 3, a multi-layer perceptron on MNIST and Kuzushiji-MNIST.

=========================  =====================================================================
name                       the learner writes
=========================  =====================================================================
``ch03.logsumexp``         :math:`\log\sum_k e^{z_{nk}}` for every row, without overflow
``ch03.standardize``       per-feature :math:`(x - \mu)/\sigma` with the *training* statistics
``ch03.mlp_forward``       the logits of a ReLU MLP given its list of ``(W, b)`` pairs
=========================  =====================================================================

The chapter also uses ``basics.softmax_cross_entropy_grad``, ``basics.min_max_scale`` and
``basics.confusion_matrix`` (see :mod:`nnlib.course.exercises.basics`).
"""

from __future__ import annotations

import numpy as np

from ._core import register

# --------------------------------------------------------------------------- log-sum-exp
logsumexp_ex = register(
    "ch03.logsumexp", title="the row-wise log-sum-exp, without overflow",
    instructions="given logits Z of shape (N, K), return the array of shape (N,) whose entry n "
                 "is log(sum_k exp(Z[n, k])), computed so that logits like 1000 or -1000 give "
                 "finite results",
    hint="subtract each row's maximum m before the exponential and add it back after the "
         "logarithm: log sum_k e^{z_k} = m + log sum_k e^{z_k - m}. np.exp(1000) overflows "
         "to inf, np.exp(-1000) underflows to 0")


@logsumexp_ex.inputs
def _logsumexp_inputs(rng):
    return [(rng.normal(0, 2, size=(4, 3)),),
            (rng.normal(0, 5, size=(6, 10)),),
            (np.array([[1000.0, 999.0, 0.0],              # exp overflows
                       [-1000.0, -1001.0, -1002.0],       # exp underflows: log(0)
                       [0.5, -0.5, 2.0]]),),
            (rng.normal(0, 1, size=(1, 5)) + 800.0,)]


@logsumexp_ex.reference
def _logsumexp_reference(Z):
    from nnlib.activations import log_softmax
    Z = np.asarray(Z, dtype=np.float64)
    return Z[:, 0] - log_softmax(Z)[:, 0]       # log_softmax(z)_0 = z_0 - logsumexp(z)


@logsumexp_ex.solution
def logsumexp(Z):
    m = Z.max(axis=1, keepdims=True)                          # (N, 1): each row's maximum
    return (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]


@logsumexp_ex.mistake("after subtracting the row maximum m inside the exponential, add it "
                      "back: log sum_k e^{z_k} = m + log sum_k e^{z_k - m}")
def _logsumexp_no_add_back(Z):
    m = Z.max(axis=1, keepdims=True)
    return np.log(np.exp(Z - m).sum(axis=1))


@logsumexp_ex.mistake("take the maximum of each row (axis=1, one sample), not of each "
                      "column (axis=0)")
def _logsumexp_wrong_axis(Z):
    m = Z.max(axis=0, keepdims=True)
    return (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]


@logsumexp_ex.mistake("np.exp of a logit near 1000 overflows to inf (and of -1000 "
                      "underflows to 0, whose log is -inf): shift by the row maximum first")
def _logsumexp_naive(Z):
    return np.log(np.exp(Z).sum(axis=1))


# --------------------------------------------------------------------------- standardisation
standardize_ex = register(
    "ch03.standardize", title="standardisation with training statistics",
    instructions="scale every column (feature) of X to (X - mean) / std, with the mean and "
                 "standard deviation of that column in X_train; a column that is constant in "
                 "X_train (std 0) is only centred (divide by 1 instead of 0)",
    hint="one mean and one standard deviation per feature: X_train.mean(axis=0), "
         "X_train.std(axis=0); replace the zero standard deviations by 1 with np.where")


@standardize_ex.inputs
def _standardize_inputs(rng):
    cases = []
    for n_train, n, d in [(20, 6, 3), (15, 9, 5), (30, 4, 4)]:
        X_train = rng.normal(rng.uniform(-5, 5, size=d), rng.uniform(0.5, 20, size=d),
                             size=(n_train, d))
        X = rng.normal(X_train.mean(axis=0), 2 * X_train.std(axis=0), size=(n, d))
        cases.append((X_train, X))
    X_train, X = cases[-1]        # like the border pixels of MNIST: always 0 in training,
    X_train[:, 0] = 0.0           # but not in X
    cases[-1] = (X_train, X)
    return cases


@standardize_ex.reference
def _standardize_reference(X_train, X):
    from nnlib.preprocessing import StandardScaler
    return StandardScaler().fit(X_train).transform(X)


@standardize_ex.solution
def standardize(X_train, X):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)      # a constant feature is only centred
    return (X - mean) / std


@standardize_ex.mistake("the statistics must come from X_train, not from X: otherwise the "
                        "validation or test data leaks into the preprocessing")
def _standardize_leak(X_train, X):
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


@standardize_ex.mistake("use one mean and one standard deviation per feature (axis=0), not "
                        "those of the whole array")
def _standardize_global(X_train, X):
    return (X - X_train.mean()) / X_train.std()


@standardize_ex.mistake("divide by the standard deviation, the square root of the variance "
                        "(np.std, not np.var)")
def _standardize_variance(X_train, X):
    var = X_train.var(axis=0)
    return (X - X_train.mean(axis=0)) / np.where(var > 0, var, 1.0)


# --------------------------------------------------------------------------- MLP forward
mlp_forward_ex = register(
    "ch03.mlp_forward", title="the forward pass of a ReLU MLP",
    instructions="given X of shape (N, d) and params, a list of (W, b) pairs (one per Dense "
                 "layer, W of shape (n_in, n_out)), return the logits: A = ReLU(A @ W + b) "
                 "for every layer except the last, which has no activation",
    hint="start from A = X; for each (W, b) compute Z = A @ W + b; apply ReLU "
         "(np.maximum(Z, 0)) after every layer but the last, whose Z are the logits")


@mlp_forward_ex.inputs
def _mlp_forward_inputs(rng):
    cases = []
    for sizes, n in [((4, 3), 5), ((6, 5, 3), 4), ((8, 6, 5, 4), 7), ((5, 7, 7, 6, 3), 3)]:
        params = [(rng.normal(0, 1, size=(a, b)), rng.normal(0, 0.5, size=b))
                  for a, b in zip(sizes[:-1], sizes[1:])]
        cases.append((rng.normal(0, 1, size=(n, sizes[0])), params))
    return cases


@mlp_forward_ex.reference
def _mlp_forward_reference(X, params):
    from nnlib.activations import ReLU
    from nnlib.core import Sequential
    from nnlib.layers import Dense
    layers = []
    for i, (W, b) in enumerate(params):
        dense = Dense(W.shape[0], W.shape[1], dtype=np.float64)
        dense.W.value[...] = W
        dense.b.value[...] = b
        layers.append(dense)
        if i < len(params) - 1:
            layers.append(ReLU())
    return Sequential(layers).forward(np.asarray(X, dtype=np.float64))


@mlp_forward_ex.solution
def mlp_forward(X, params):
    A = X
    for i, (W, b) in enumerate(params):
        Z = A @ W + b
        A = np.maximum(Z, 0) if i < len(params) - 1 else Z   # no ReLU on the logits
    return A


@mlp_forward_ex.mistake("the last layer returns logits: do not apply ReLU to it (logits can "
                        "be negative, and the softmax needs them as they are)")
def _mlp_forward_relu_on_logits(X, params):
    A = X
    for W, b in params:
        A = np.maximum(A @ W + b, 0)
    return A


@mlp_forward_ex.mistake("apply the activation between the layers: without it the network "
                        "is one linear map, whatever its depth")
def _mlp_forward_no_activation(X, params):
    A = X
    for W, b in params:
        A = A @ W + b
    return A


@mlp_forward_ex.mistake("the bias is added before the activation: ReLU(A @ W + b), "
                        "not ReLU(A @ W) + b")
def _mlp_forward_bias_after(X, params):
    A = X
    for i, (W, b) in enumerate(params):
        Z = A @ W
        A = np.maximum(Z, 0) + b if i < len(params) - 1 else Z + b
    return A
