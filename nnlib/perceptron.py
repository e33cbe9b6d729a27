r"""Rosenblatt's perceptron (1958) and its learning rule.

A single neuron with a step activation, labels :math:`t \in \{-1, +1\}`:

.. math::
    \hat t = \operatorname{sign}(w^\top x + b), \qquad
    \text{if } t\,(w^\top x + b) \le 0:\quad w \leftarrow w + \eta\, t\, x,\quad b \leftarrow b + \eta\, t .

Each mistake moves the boundary towards classifying that point correctly. On linearly
separable data with margin :math:`\gamma` and radius :math:`R = \max\lVert x\rVert`, the
perceptron convergence theorem (Novikoff, 1962) bounds the number of updates by
:math:`(R/\gamma)^2` (for :math:`b = 0`, or with :math:`x` augmented by a constant 1).
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_array, check_bool, check_number, check_positive_int, make_rng


class Perceptron:
    """A perceptron with scikit-learn-style ``fit`` / ``predict`` / ``score``.

    Parameters
    ----------
    lr : float
        :math:`\\eta`. With zero initial weights it only rescales ``w`` and ``b``.
    max_epochs : int
        Passes over the data; training stops early after an epoch with no mistakes.
    shuffle : bool
        Visit the samples in a new random order each epoch.
    seed : int or numpy.random.Generator, optional

    Fitted attributes
    -----------------
    ``w_`` (n_features,), ``b_``, ``classes_`` (the two labels, mapped to -1 and +1),
    ``n_updates_`` (total mistakes corrected), ``mistakes_per_epoch_``, ``converged_``,
    ``history_``: a list of ``(w, b)`` after each epoch (index 0 = before training).
    """

    def __init__(self, lr: float = 1.0, max_epochs: int = 100, shuffle: bool = True, seed=None):
        self.lr = lr
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.seed = seed

    def _encode(self, y):
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"y must contain exactly two classes, got {len(classes)}: "
                             f"{classes[:5]}")
        return classes, np.where(y == classes[1], 1.0, -1.0)

    def fit(self, X, y):
        X = as_float_array(X, "X", ndim=2)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with {X.shape[0]} labels, got shape {y.shape}")
        lr = check_number(self.lr, "lr", 0.0, None, low_inclusive=False)
        epochs = check_positive_int(self.max_epochs, "max_epochs")
        shuffle = check_bool(self.shuffle, "shuffle")
        classes, t = self._encode(y)
        rng = make_rng(self.seed)
        self.classes_ = classes             # every check passed: the estimator changes now
        w = np.zeros(X.shape[1])
        b = 0.0
        self.history_ = [(w.copy(), b)]
        self.mistakes_per_epoch_ = []
        self.n_updates_ = 0
        self.converged_ = False
        for _ in range(epochs):
            mistakes = 0
            order = rng.permutation(len(X)) if shuffle else range(len(X))
            for i in order:
                if t[i] * (X[i] @ w + b) <= 0:          # misclassified (or on the boundary)
                    w += lr * t[i] * X[i]                # w <- w + eta t x
                    b += lr * t[i]                       # b <- b + eta t
                    mistakes += 1
            self.n_updates_ += mistakes
            self.mistakes_per_epoch_.append(mistakes)
            self.history_.append((w.copy(), b))
            if mistakes == 0:
                self.converged_ = True
                break
        self.w_, self.b_ = w, b
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        """:math:`w^\\top x + b` for each row of ``X``: positive means class ``classes_[1]``."""
        if not hasattr(self, "w_"):
            raise ValueError("this Perceptron is not fitted yet; call fit(X, y) first")
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the perceptron was fitted on "
                             f"{self.n_features_in_}")
        return X @ self.w_ + self.b_

    def predict(self, X):
        return np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0])

    def score(self, X, y) -> float:
        """Accuracy on ``(X, y)``; ``y`` holds one label per row of ``X``."""
        pred, y = self.predict(X), np.asarray(y)
        if y.shape != pred.shape:
            raise ValueError(f"y must have shape {pred.shape} (one label per row of X), "
                             f"got {y.shape}")
        return float(np.mean(pred == y))
