r"""Preparing data: one-hot labels, scalers fitted on training data only, a stratified split.

Scalers follow scikit-learn's pattern: ``fit`` learns statistics **from the training
split only**, ``transform`` applies them to any split (validation and test data never
leak into the statistics). They return new arrays; the input is never modified.
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_array, as_labels, check_number, check_positive_int, make_rng


def one_hot(y, n_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """``(N,)`` integer labels to an ``(N, K)`` matrix with a single 1 per row."""
    y = as_labels(y, "y")
    k = check_positive_int(n_classes, "n_classes") if n_classes is not None else int(y.max()) + 1
    as_labels(y, "y", n_classes=k)
    out = np.zeros((len(y), k), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


class _Scaler:
    def _check_fitted(self):
        if not hasattr(self, "n_features_in_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(X_train) first")

    def _check_X(self, X):
        X = as_float_array(X, "X", ndim=2)
        self._check_fitted()
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but the scaler was fitted on "
                             f"{self.n_features_in_}")
        return X

    def fit_transform(self, X):
        return self.fit(X).transform(X)


class MinMaxScaler(_Scaler):
    r"""Per feature: :math:`x' = (x - \min) / (\max - \min)`, mapping the training range to [0, 1].

    A constant feature (max = min) is mapped to 0 instead of dividing by zero.
    """

    def fit(self, X):
        X = as_float_array(X, "X", ndim=2)
        self.min_ = X.min(axis=0)
        rng = X.max(axis=0) - self.min_
        self.scale_ = np.where(rng > 0, rng, 1).astype(X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = self._check_X(X)
        return ((X - self.min_) / self.scale_).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        X = self._check_X(X)
        return X * self.scale_ + self.min_


class StandardScaler(_Scaler):
    r"""Per feature: :math:`x' = (x - \mu) / \sigma`, with the training mean and standard deviation.

    A constant feature (:math:`\sigma = 0`) is only centred.
    """

    def fit(self, X):
        X = as_float_array(X, "X", ndim=2)
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(X.dtype)
        std = X.std(axis=0, dtype=np.float64).astype(X.dtype)
        self.scale_ = np.where(std > 0, std, 1).astype(X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = self._check_X(X)
        return ((X - self.mean_) / self.scale_).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        X = self._check_X(X)
        return X * self.scale_ + self.mean_


def train_val_split(X, y, val_fraction: float = 0.1, stratify: bool = True, seed=None):
    """Split into training and validation parts: ``X_train, X_val, y_train, y_val``.

    With ``stratify=True`` every class keeps its proportion in both parts (up to
    rounding). Rows are drawn with ``seed``; the inputs are not modified.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    if X.shape[0] < 2:
        raise ValueError("need at least 2 samples to split")
    if stratify and y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class labels to stratify, got shape "
                         f"{y.shape}; pass stratify=False (or y.argmax(axis=1) for one-hot)")
    val_fraction = check_number(val_fraction, "val_fraction", 0.0, 1.0, False, False)
    rng = make_rng(seed)
    if stratify:
        val_idx = []
        for c in np.unique(y):
            members = np.flatnonzero(y == c)
            k = int(round(val_fraction * len(members)))
            val_idx.append(rng.choice(members, size=k, replace=False))
        val_idx = np.concatenate(val_idx)
    else:
        k = int(round(val_fraction * len(y)))
        val_idx = rng.choice(len(y), size=k, replace=False)
    if len(val_idx) == 0 or len(val_idx) == len(y):
        raise ValueError(f"val_fraction={val_fraction} leaves an empty split for {len(y)} samples")
    is_val = np.zeros(len(y), dtype=bool)
    is_val[val_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_val))
    val_idx = rng.permutation(np.flatnonzero(is_val))
    return X[train_idx], X[val_idx], y[train_idx], y[val_idx]
