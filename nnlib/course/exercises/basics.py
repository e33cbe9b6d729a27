r"""Exercises on the building blocks that several chapters reuse.

=================================  ============================================================
name                               the learner writes
=================================  ============================================================
``basics.sigmoid``                 :math:`\sigma(z) = 1/(1+e^{-z})`, element-wise
``basics.sigmoid_backward``        :math:`\partial L/\partial z = g \odot \sigma(z)(1-\sigma(z))`
``basics.relu_backward``           :math:`\partial L/\partial x = g \odot [x > 0]`
``basics.dense_backward``          :math:`(X^\top G,\ \sum_n G_{n,:},\ G W^\top)`
``basics.softmax_cross_entropy_grad``  :math:`(\operatorname{softmax}(Z) - Y)/N`
``basics.min_max_scale``           per-feature min-max scaling with the *training* statistics
``basics.confusion_matrix``        :math:`C_{ij}` = samples of true class :math:`i` predicted :math:`j`
=================================  ============================================================

Each reference comes from ``nnlib`` itself; each solution is the code of the notebook's
solution cell; each mistake is one that learners really make.
"""

from __future__ import annotations

import numpy as np

from ._core import register

# --------------------------------------------------------------------------- sigmoid
sigmoid_ex = register(
    "basics.sigmoid", title="the logistic sigmoid",
    instructions="return 1 / (1 + exp(-z)), element-wise, with the shape of z",
    hint="sigma(0) = 0.5, sigma(z) -> 1 as z -> +inf and -> 0 as z -> -inf; use np.exp, "
         "which works element-wise on arrays")


@sigmoid_ex.inputs
def _sigmoid_inputs(rng):
    return [(np.array([-10.0, -1.0, 0.0, 1.0, 10.0]),),
            (rng.normal(0, 3, size=(4, 3)),),
            (rng.normal(0, 3, size=(2, 3, 4)),)]


@sigmoid_ex.reference
def _sigmoid_reference(z):
    from nnlib.activations import sigmoid
    return sigmoid(np.asarray(z, dtype=np.float64))


@sigmoid_ex.solution
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@sigmoid_ex.mistake("check the sign in the exponent: sigma(z) = 1 / (1 + exp(-z)), "
                    "so that large positive z gives values near 1")
def _sigmoid_sign(z):
    return 1.0 / (1.0 + np.exp(z))


# --------------------------------------------------------------------------- sigmoid backward
sigmoid_backward_ex = register(
    "basics.sigmoid_backward", title="the backward pass of the sigmoid",
    instructions="given the pre-activation z and grad_out = dL/dsigma(z), "
                 "return dL/dz = grad_out * sigma(z) * (1 - sigma(z))",
    hint="the chain rule: multiply the incoming gradient by the derivative "
         "sigma'(z) = sigma(z) (1 - sigma(z))")


@sigmoid_backward_ex.inputs
def _sigmoid_backward_inputs(rng):
    return [(rng.normal(0, 2, size=(5,)), rng.standard_normal(5)),
            (rng.normal(0, 2, size=(4, 3)), rng.standard_normal((4, 3))),
            (rng.normal(0, 2, size=(6, 2)), rng.standard_normal((6, 2)))]


@sigmoid_backward_ex.reference
def _sigmoid_backward_reference(z, grad_out):
    from nnlib.activations import Sigmoid
    layer = Sigmoid()
    layer.forward(np.asarray(z, dtype=np.float64))
    return layer.backward(np.asarray(grad_out, dtype=np.float64))


@sigmoid_backward_ex.solution
def sigmoid_backward(z, grad_out):
    s = 1.0 / (1.0 + np.exp(-z))
    return grad_out * s * (1.0 - s)


@sigmoid_backward_ex.mistake("the derivative is evaluated at sigma(z): "
                             "sigma'(z) = sigma(z) (1 - sigma(z)), not z (1 - z)")
def _sigmoid_backward_at_z(z, grad_out):
    return grad_out * z * (1.0 - z)


@sigmoid_backward_ex.mistake("you returned the local derivative only; the chain rule "
                             "multiplies it by the incoming gradient grad_out")
def _sigmoid_backward_no_chain(z, grad_out):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


# --------------------------------------------------------------------------- ReLU backward
relu_backward_ex = register(
    "basics.relu_backward", title="the backward pass of ReLU",
    instructions="given the layer's input x and grad_out = dL/dReLU(x), "
                 "return dL/dx = grad_out * [x > 0]",
    hint="ReLU passes the gradient where its input was positive and blocks it elsewhere")


@relu_backward_ex.inputs
def _relu_backward_inputs(rng):
    return [(rng.standard_normal((4, 3)), rng.standard_normal((4, 3))),
            (rng.standard_normal((7, 5)), rng.standard_normal((7, 5))),
            (rng.standard_normal((1, 6)), rng.standard_normal((1, 6)))]


@relu_backward_ex.reference
def _relu_backward_reference(x, grad_out):
    from nnlib.activations import ReLU
    layer = ReLU()
    layer.forward(x)
    return layer.backward(grad_out)


@relu_backward_ex.solution
def relu_backward(x, grad_out):
    return grad_out * (x > 0)


@relu_backward_ex.mistake("the mask comes from the layer's input x (where x > 0), "
                          "not from the sign of the incoming gradient")
def _relu_backward_gradient_mask(x, grad_out):
    return np.maximum(grad_out, 0)


@relu_backward_ex.mistake("you passed the gradient through unchanged: multiply it by "
                          "ReLU's derivative [x > 0]")
def _relu_backward_identity(x, grad_out):
    return grad_out


# --------------------------------------------------------------------------- Dense backward
dense_backward_ex = register(
    "basics.dense_backward", title="the backward pass of a Dense layer Z = X W + b",
    instructions="given X (N, n_in), W (n_in, n_out) and G = dL/dZ (N, n_out), return the "
                 "tuple (dW, db, dX) = (X^T G, G summed over the batch, G W^T)",
    hint="a gradient has the shape of what it differentiates: dW like W (n_in, n_out), "
         "db like b (n_out,), dX like X (N, n_in)",
    output_names=("dW", "db", "dX"))


@dense_backward_ex.inputs
def _dense_backward_inputs(rng):
    cases = []
    for n, n_in, n_out in [(5, 3, 4), (8, 6, 2), (2, 4, 7)]:
        cases.append((rng.standard_normal((n, n_in)), rng.standard_normal((n_in, n_out)),
                      rng.standard_normal((n, n_out))))
    return cases


@dense_backward_ex.reference
def _dense_backward_reference(X, W, G):
    from nnlib.layers import Dense
    layer = Dense(W.shape[0], W.shape[1], dtype=np.float64)
    layer.W.value[...] = W
    layer.forward(X)
    dX = layer.backward(G)
    return layer.W.grad.copy(), layer.b.grad.copy(), dX


@dense_backward_ex.solution
def dense_backward(X, W, G):
    dW = X.T @ G
    db = G.sum(axis=0)
    dX = G @ W.T
    return dW, db, dX


@dense_backward_ex.mistake("dW must have the shape of W, (n_in, n_out): it is X^T G, "
                           "not G^T X")
def _dense_backward_transposed(X, W, G):
    return G.T @ X, G.sum(axis=0), G @ W.T


@dense_backward_ex.mistake("db is the sum of G over the batch, not its mean: the 1/N of "
                           "the mean loss is already inside G")
def _dense_backward_mean_bias(X, W, G):
    return X.T @ G, G.mean(axis=0), G @ W.T


# --------------------------------------------------------------------------- softmax + CE
softmax_ce_ex = register(
    "basics.softmax_cross_entropy_grad",
    title="the gradient of the mean softmax cross-entropy",
    instructions="given logits Z (N, K) and integer labels y (N,), return "
                 "dL/dZ = (softmax(Z) - onehot(y)) / N",
    hint="compute the softmax of each row, subtract 1 at each sample's true class, and "
         "divide by the batch size N")


@softmax_ce_ex.inputs
def _softmax_ce_inputs(rng):
    cases = []
    for n, k in [(4, 3), (6, 5), (3, 10)]:
        cases.append((rng.normal(0, 2, size=(n, k)), rng.integers(0, k, size=n)))
    return cases


@softmax_ce_ex.reference
def _softmax_ce_reference(Z, y):
    from nnlib.losses import SoftmaxCrossEntropy
    loss = SoftmaxCrossEntropy()
    loss.forward(np.asarray(Z, dtype=np.float64), y)
    return loss.backward()


@softmax_ce_ex.solution
def softmax_cross_entropy_grad(Z, y):
    N = Z.shape[0]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))   # subtract the row maximum: no overflow
    P /= P.sum(axis=1, keepdims=True)               # softmax of each row
    P[np.arange(N), y] -= 1.0                       # softmax(Z) - Y
    return P / N


@softmax_ce_ex.mistake("the loss is the mean over the batch, so its gradient carries a "
                       "factor 1/N: divide by N = Z.shape[0]")
def _softmax_ce_no_mean(Z, y):
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(Z.shape[0]), y] -= 1.0
    return P


@softmax_ce_ex.mistake("normalise each row (one sample) over its K classes: sum with "
                       "axis=1, not axis=0")
def _softmax_ce_wrong_axis(Z, y):
    P = np.exp(Z - Z.max(axis=0, keepdims=True))
    P /= P.sum(axis=0, keepdims=True)
    P[np.arange(Z.shape[0]), y] -= 1.0
    return P / Z.shape[0]


# --------------------------------------------------------------------------- min-max scaling
min_max_ex = register(
    "basics.min_max_scale", title="min-max scaling with training statistics",
    instructions="scale every column (feature) of X to (X - min) / (max - min), with the "
                 "min and max of that column in X_train",
    hint="compute one minimum and one maximum per feature (axis=0) on X_train, and apply "
         "them to X")


@min_max_ex.inputs
def _min_max_inputs(rng):
    cases = []
    for n_train, n, d in [(20, 6, 3), (15, 9, 5), (30, 4, 2)]:
        low = rng.uniform(-50, 50, size=d)
        width = rng.uniform(1, 200, size=d)
        X_train = low + width * rng.random((n_train, d))
        X = low + width * rng.uniform(-0.2, 1.2, size=(n, d))   # may leave the range
        cases.append((X_train, X))
    return cases


@min_max_ex.reference
def _min_max_reference(X_train, X):
    from nnlib.preprocessing import MinMaxScaler
    return MinMaxScaler().fit(X_train).transform(X)


@min_max_ex.solution
def min_max_scale(X_train, X):
    lo = X_train.min(axis=0)
    hi = X_train.max(axis=0)
    return (X - lo) / (hi - lo)


@min_max_ex.mistake("use one minimum and one maximum per feature: X_train.min(axis=0), "
                    "not the minimum of the whole array")
def _min_max_global(X_train, X):
    return (X - X_train.min()) / (X_train.max() - X_train.min())


@min_max_ex.mistake("the statistics must come from X_train, not from X: otherwise the "
                    "test data leaks into the preprocessing")
def _min_max_leak(X_train, X):
    return (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))


# --------------------------------------------------------------------------- confusion matrix
confusion_ex = register(
    "basics.confusion_matrix", title="the confusion matrix",
    instructions="return the (n_classes, n_classes) integer matrix C whose entry C[i, j] "
                 "counts the samples of true class i predicted as class j",
    hint="rows are the true classes, columns the predictions; every sample adds 1 to "
         "exactly one entry, so C.sum() == len(y_true)")


@confusion_ex.inputs
def _confusion_inputs(rng):
    cases = []
    for n, k in [(30, 3), (50, 5), (12, 4)]:
        y_true = rng.integers(0, k, size=n)
        y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, size=n))
        cases.append((y_true, y_pred, k))
    y_true, y_pred, _ = cases[-1]                 # a class that never occurs:
    cases[-1] = (y_true % 3, y_pred % 3, 4)      # C must still be 4 x 4
    return cases


@confusion_ex.reference
def _confusion_reference(y_true, y_pred, n_classes):
    from nnlib.metrics import confusion_matrix
    return confusion_matrix(y_true, y_pred, n_classes)


@confusion_ex.solution
def confusion_matrix(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        C[t, p] += 1
    return C


@confusion_ex.mistake("rows are the true classes and columns the predictions: "
                      "C[y_true, y_pred], not C[y_pred, y_true]")
def _confusion_transposed(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(C, (y_pred, y_true), 1)
    return C
