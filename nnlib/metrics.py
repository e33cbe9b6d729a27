r"""Classification metrics."""

from __future__ import annotations

import numpy as np

from .validation import as_labels, check_positive_int


def accuracy(y_true, y_pred) -> float:
    r"""Fraction of correct predictions, :math:`\frac1N\sum_n [\hat y_n = y_n]`."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} "
                         f"and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("y_true is empty")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    r"""Counts :math:`C_{ij}` = number of samples of true class :math:`i` predicted as :math:`j`.

    Shape ``(K, K)``: rows are true classes, columns predictions; the diagonal holds the
    correct ones, so ``C.trace() / C.sum()`` is the accuracy.
    """
    y_true = as_labels(y_true, "y_true")
    y_pred = as_labels(y_pred, "y_pred")
    if len(y_pred) != len(y_true):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    k = check_positive_int(n_classes, "n_classes") if n_classes is not None \
        else int(max(y_true.max(), y_pred.max())) + 1
    as_labels(y_true, "y_true", n_classes=k)
    as_labels(y_pred, "y_pred", n_classes=k)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def per_class_accuracy(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Recall of every class: the diagonal of the confusion matrix over its row sums."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cm.diagonal() / cm.sum(axis=1)
