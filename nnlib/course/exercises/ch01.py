r"""Exercises of chapter 1, the perceptron (``book/01_perceptron.ipynb``).

=============================  ==============================================================
name                           the learner writes
=============================  ==============================================================
``ch01.perceptron_predict``    :math:`\hat t_n = +1` if :math:`\mathbf w^\top \mathbf x_n + b > 0`, else :math:`-1`
``ch01.perceptron_train``      Rosenblatt's learning rule, samples in order, until an epoch
                               without mistakes: ``(w, b, n_updates)``
=============================  ==============================================================

Labels are signs, :math:`t \in \{-1, +1\}`. The references come from
:class:`nnlib.perceptron.Perceptron`; each solution is the code of the chapter's solution
cell; each mistake is one that learners really make.
"""

from __future__ import annotations

import numpy as np

from ._core import register


def _separable(rng, n, margin=0.6):
    """``n`` points in the plane, linearly separable with a gap, and their labels ±1."""
    from nnlib.datasets import make_blobs_separable
    X, y = make_blobs_separable(n, margin=margin, spread=1.0, seed=rng)
    return X.astype(np.float64), 2.0 * y - 1.0


# --------------------------------------------------------------------------- predict
predict_ex = register(
    "ch01.perceptron_predict", title="the perceptron's prediction",
    instructions="given X (N, d), w (d,) and b, return an array of N labels: +1 where "
                 "X @ w + b > 0 and -1 elsewhere (also where it is exactly 0)",
    hint="compute the scores s = X @ w + b (one per row), then np.where(s > 0, 1, -1)")


@predict_ex.inputs
def _predict_inputs(rng):
    cases = []
    # Points exactly on the boundary x1 = x2 (score 0) must be labelled -1.
    grid = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0], [-1.0, 2.0], [-3.0, -3.0],
                     [0.5, 0.25]])
    cases.append((grid, np.array([1.0, -1.0]), 0.0))
    X = rng.normal(0, 2, size=(7, 2))
    X[3] = [1.5, 0.0]                                # on the line 2 x1 - 3 = 0
    cases.append((X, np.array([2.0, 0.0]), -3.0))
    cases.append((rng.normal(0, 1, size=(9, 3)), rng.normal(0, 1, size=3), 0.7))
    cases.append((rng.normal(0, 1, size=(5, 2)), rng.normal(0, 1, size=2), -1.5))
    return cases


@predict_ex.reference
def _predict_reference(X, w, b):
    from nnlib.perceptron import Perceptron
    p = Perceptron()
    p.w_, p.b_ = np.asarray(w, dtype=np.float64), float(b)
    p.classes_, p.n_features_in_ = np.array([-1, 1]), len(w)
    return p.predict(X)


@predict_ex.solution
def perceptron_predict(X, w, b):
    scores = X @ w + b
    return np.where(scores > 0, 1, -1)


@predict_ex.mistake("np.sign returns 0 for a point exactly on the boundary; the perceptron "
                    "must answer -1 or +1 there: use np.where(scores > 0, 1, -1)")
def _predict_sign(X, w, b):
    return np.sign(X @ w + b)


@predict_ex.mistake("a point exactly on the boundary (score 0) counts as a mistake for "
                    "both classes, so it is labelled -1: the test is scores > 0, not >= 0")
def _predict_greater_equal(X, w, b):
    return np.where(X @ w + b >= 0, 1, -1)


@predict_ex.mistake("the bias b is part of the score: s = X @ w + b")
def _predict_no_bias(X, w, b):
    return np.where(X @ w > 0, 1, -1)


# --------------------------------------------------------------------------- train
train_ex = register(
    "ch01.perceptron_train", title="Rosenblatt's learning rule",
    instructions="start from w = 0, b = 0; visit the samples in order, and whenever "
                 "t_n (w @ x_n + b) <= 0 set w += lr t_n x_n and b += lr t_n; stop after an "
                 "epoch without updates or after max_epochs epochs; return (w, b, n_updates)",
    hint="a sample is a mistake when t_n (w @ x_n + b) <= 0; only then are w and b updated, "
         "and every update counts once in n_updates",
    output_names=("w", "b", "n_updates"))


@train_ex.inputs
def _train_inputs(rng):
    cases = []
    for n, lr, max_epochs in [(12, 1.0, 100), (20, 0.5, 100), (30, 0.1, 200)]:
        X, t = _separable(rng, n)
        cases.append((X, t, lr, max_epochs))
    # XOR never converges: the loop must stop after max_epochs.
    X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    cases.append((X_xor, np.array([-1.0, 1.0, 1.0, -1.0]), 1.0, 7))
    return cases


@train_ex.reference
def _train_reference(X, t, lr, max_epochs):
    from nnlib.perceptron import Perceptron
    p = Perceptron(lr=lr, max_epochs=max_epochs, shuffle=False).fit(X, t)
    return p.w_, p.b_, p.n_updates_


@train_ex.solution
def perceptron_train(X, t, lr, max_epochs):
    w = np.zeros(X.shape[1])
    b = 0.0
    n_updates = 0
    for _ in range(max_epochs):
        mistakes = 0
        for x_n, t_n in zip(X, t):
            if t_n * (x_n @ w + b) <= 0:       # wrong side, or on the boundary
                w = w + lr * t_n * x_n
                b = b + lr * t_n
                mistakes += 1
        n_updates += mistakes
        if mistakes == 0:                      # a clean epoch: converged
            break
    return w, b, n_updates


def _train_with(X, t, lr, max_epochs, is_mistake, update_b=True, use_label=True):
    w = np.zeros(X.shape[1])
    b = 0.0
    n_updates = 0
    for _ in range(max_epochs):
        mistakes = 0
        for x_n, t_n in zip(X, t):
            if is_mistake(t_n, x_n @ w + b):
                sign = t_n if use_label else 1.0
                w = w + lr * sign * x_n
                b = b + (lr * sign if update_b else 0.0)
                mistakes += 1
        n_updates += mistakes
        if mistakes == 0:
            break
    return w, b, n_updates


@train_ex.mistake("with w = 0 and b = 0 every score is 0, so a strict test t (w @ x + b) < 0 "
                  "never fires and nothing is learned: a score of 0 is a mistake too (<= 0)")
def _train_strict(X, t, lr, max_epochs):
    return _train_with(X, t, lr, max_epochs, lambda tn, s: tn * s < 0)


@train_ex.mistake("the bias is a weight on a constant input 1, so it learns too: "
                  "b += lr t_n at every update")
def _train_no_bias(X, t, lr, max_epochs):
    return _train_with(X, t, lr, max_epochs, lambda tn, s: tn * s <= 0, update_b=False)


@train_ex.mistake("the update moves towards the sample's class: w += lr t_n x_n, with the "
                  "label t_n = ±1 as the sign")
def _train_no_label(X, t, lr, max_epochs):
    return _train_with(X, t, lr, max_epochs, lambda tn, s: tn * s <= 0, use_label=False)


@train_ex.mistake("update only on mistakes (t_n (w @ x_n + b) <= 0), not on every sample")
def _train_always(X, t, lr, max_epochs):
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(max_epochs):
        for x_n, t_n in zip(X, t):
            w = w + lr * t_n * x_n
            b = b + lr * t_n
    return w, b, max_epochs * len(X)
