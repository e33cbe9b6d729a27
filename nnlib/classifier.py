"""A scikit-learn-style neural-network classifier built on nnlib.

``NeuralNetClassifier`` wraps :func:`~nnlib.mlp.build_mlp` and :func:`~nnlib.training.fit`
behind ``fit`` / ``predict`` / ``predict_proba`` / ``score``, for chapters that just need
a model. Unlike scikit-learn's ``MLPClassifier`` it records the validation loss of every
epoch (``validation_loss_curve_``) and can use dropout, L1/elastic-net penalties, any
nnlib optimizer, schedules and gradient clipping.
"""

from __future__ import annotations

import inspect

import numpy as np

from .activations import ACTIVATIONS, sigmoid, softmax
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from .mlp import build_mlp
from .optim import OPTIMIZERS
from .preprocessing import train_val_split
from .regularizers import L1, L2, ElasticNet
from .training import EarlyStopping, fit, predict_outputs
from .validation import (
    as_float_array,
    check_bool,
    check_choice,
    check_number,
    check_positive_int,
    make_rng,
)


class NeuralNetClassifier:
    """Multi-layer perceptron classifier (softmax output; a sigmoid output for 2 classes).

    Parameters
    ----------
    hidden_sizes : sequence of int
        Width of each hidden layer; ``()`` is (multinomial) logistic regression.
    activation : {"relu", "leaky_relu", "tanh", "sigmoid"}
    optimizer : {"adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop", "adagrad"}
    lr : float
    epochs, batch_size : int
    l1, l2 : float
        Penalty strengths (see :mod:`nnlib.regularizers`); both > 0 gives elastic net.
    dropout : float in [0, 1)
        Dropout after every hidden activation.
    early_stopping : bool
        Hold out ``validation_fraction`` of the training data (stratified) unless
        validation data is passed to ``fit``, and stop after ``patience`` epochs without
        a lower validation loss, restoring the best weights.
    validation_fraction : float
    patience : int
    clip_norm : float, optional
    schedule : callable, optional
    seed : int, optional
        Seeds the weights, dropout, the validation split and the shuffling.
    progress : bool
    dtype : float32 (default) or float64

    Fitted attributes (ending in ``_``): ``classes_``, ``n_features_in_``, ``model_``,
    ``history_``, ``loss_curve_``, ``validation_loss_curve_``, ``n_iter_`` (epochs run),
    ``best_epoch_``.
    """

    def __init__(self, hidden_sizes=(100,), activation="relu", optimizer="adam", lr=1e-3,
                 epochs=20, batch_size=128, l1=0.0, l2=0.0, dropout=0.0, early_stopping=False,
                 validation_fraction=0.1, patience=5, clip_norm=None, schedule=None, seed=None,
                 progress=False, dtype=np.float32):
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.clip_norm = clip_norm
        self.schedule = schedule
        self.seed = seed
        self.progress = progress
        self.dtype = dtype

    def get_params(self, deep=True):
        """The constructor's arguments, as scikit-learn's ``get_params`` (read from ``__init__``)."""
        return {name: getattr(self, name) for name in inspect.signature(type(self)).parameters}

    def set_params(self, **params):
        known = self.get_params()
        for k in params:                    # all names checked before any is set
            if k not in known:
                raise ValueError(f"unknown parameter {k!r} for NeuralNetClassifier")
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def __repr__(self):
        return f"NeuralNetClassifier(hidden_sizes={self.hidden_sizes}, " \
               f"activation={self.activation!r}, optimizer={self.optimizer!r}, lr={self.lr})"

    # --- validation ------------------------------------------------------------------
    def _validate_params(self):
        check_choice(self.activation, "activation", ACTIVATIONS)
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)
        check_number(self.lr, "lr", 0.0, None, low_inclusive=False)
        check_positive_int(self.epochs, "epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_number(self.l1, "l1", 0.0)
        check_number(self.l2, "l2", 0.0)
        check_number(self.dropout, "dropout", 0.0, 1.0, high_inclusive=False)
        check_number(self.validation_fraction, "validation_fraction", 0.0, 1.0, False, False)
        check_positive_int(self.patience, "patience", minimum=0)
        check_bool(self.early_stopping, "early_stopping")

    @staticmethod
    def _check_labels(y, name, n_rows) -> np.ndarray:
        """``y`` as a 1-D array of ``n_rows`` class labels (integers, strings or whole floats)."""
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array of class labels, got shape {y.shape}")
        if y.shape[0] != n_rows:
            raise ValueError(f"{name} has {y.shape[0]} labels but X{name[1:]} has {n_rows} rows")
        if y.dtype.kind == "f" and not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"{name} must hold class labels (integers or strings), got "
                             "non-integer or non-finite floats")
        if y.dtype.kind not in "iubfUSO":
            raise ValueError(f"{name} must hold class labels, got dtype {y.dtype}")
        return y

    @staticmethod
    def _encode(classes, y, name) -> np.ndarray:
        """The index of each label of ``y`` in ``classes`` (every label must be known)."""
        idx = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        if not np.all(classes[idx] == y):
            unknown = np.setdiff1d(y, classes)[:5]
            raise ValueError(f"{name} has labels not seen in training: {unknown}")
        return idx

    def _regularizer(self):
        if self.l1 and self.l2:
            return ElasticNet(self.l1, self.l2)
        if self.l1:
            return L1(self.l1)
        if self.l2:
            return L2(self.l2)
        return None

    # --- the estimator API -----------------------------------------------------------
    def fit(self, X, y, X_val=None, y_val=None):
        """Train on ``(X, y)``; ``X_val, y_val`` (optional) are used for the validation curve
        and early stopping. Returns ``self``.

        All or nothing: if anything fails (a bad argument, a diverging loss), the estimator
        keeps the fitted attributes of its previous ``fit``, or stays unfitted.
        """
        self._validate_params()
        X = as_float_array(X, "X", ndim=2).astype(self.dtype, copy=False)
        y = self._check_labels(y, "y", X.shape[0])
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y must contain at least 2 classes, got {len(classes)}")
        y_idx = self._encode(classes, y, "y")
        if (X_val is None) != (y_val is None):
            raise ValueError("pass both X_val and y_val, or neither")
        rng = make_rng(self.seed)
        if X_val is not None:
            X_val = as_float_array(X_val, "X_val", ndim=2).astype(self.dtype, copy=False)
            if X_val.shape[1] != X.shape[1]:
                raise ValueError(f"X_val has {X_val.shape[1]} features but X has {X.shape[1]}")
            y_val = self._check_labels(y_val, "y_val", X_val.shape[0])
            validation = (X_val, self._encode(classes, y_val, "y_val"))
        elif self.early_stopping:
            X, X_v, y_idx, yv_idx = train_val_split(X, y_idx, self.validation_fraction,
                                                    seed=rng)
            validation = (X_v, yv_idx)
        else:
            validation = None
        binary = len(classes) == 2
        model = build_mlp(X.shape[1], self.hidden_sizes, 1 if binary else len(classes),
                          activation=self.activation, dropout=self.dropout, seed=rng,
                          dtype=self.dtype)
        loss = BinaryCrossEntropy() if binary else SoftmaxCrossEntropy()
        callbacks = [EarlyStopping("val_loss", patience=self.patience)] \
            if self.early_stopping else []
        history = fit(model, X, y_idx, loss=loss, optimizer=self.optimizer, lr=self.lr,
                      epochs=self.epochs, batch_size=self.batch_size,
                      validation_data=validation, regularizer=self._regularizer(),
                      schedule=self.schedule, clip_norm=self.clip_norm, callbacks=callbacks,
                      seed=rng, progress=self.progress)
        # success: only now does the estimator change
        self.classes_, self.n_features_in_, self.model_ = classes, X.shape[1], model
        self.history_ = history
        self.loss_curve_ = list(history.train_loss)
        self.validation_loss_curve_ = list(history.val_loss) if validation else None
        self.n_iter_ = len(history)
        self.best_epoch_ = history.best_epoch
        return self

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise ValueError("this NeuralNetClassifier is not fitted yet; call fit(X, y) first")

    def predict_proba(self, X):
        """Class probabilities, shape ``(N, n_classes)``, columns in the order of ``classes_``."""
        self._check_fitted()
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the model was fitted on "
                             f"{self.n_features_in_}")
        out = predict_outputs(self.model_, X.astype(self.dtype, copy=False))
        if len(self.classes_) == 2:
            p1 = sigmoid(out.reshape(-1))
            return np.column_stack([1 - p1, p1])
        return softmax(out)

    def predict(self, X):
        """The most probable class of each row."""
        self._check_fitted()
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y) -> float:
        """Accuracy on ``(X, y)``."""
        self._check_fitted()
        X = as_float_array(X, "X", ndim=2)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):                # checked before the forward pass
            raise ValueError(f"y must have shape {(X.shape[0],)}, got {y.shape}")
        return float(np.mean(self.predict(X) == y))
