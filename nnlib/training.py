r"""The training loop: shuffled mini-batches, validation, callbacks, a progress bar.

One epoch of :func:`fit`, for each mini-batch :math:`B` of a fresh random permutation::

    Z = model.forward(X[B])                 # logits
    loss = loss_fn.forward(Z, y[B])         # mean over the batch
    model.backward(loss_fn.backward())      # fills every p.grad
    regularizer.add_gradient(...)           # + dR/dW            (optional)
    clip_grad_norm(...)                     # cap ||g||          (optional)
    optimizer.step()                        # theta <- theta - ...

Mini-batches are taken by indexing through the permutation (``X[perm[i:i+B]]``), never
by copying the whole shuffled dataset each epoch.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .core import Module
from .losses import BinaryCrossEntropy, Loss, MeanSquaredError, SoftmaxCrossEntropy
from .optim import Optimizer, check_optimizer_name, clip_grad_norm, get_optimizer
from .progress import progress_bar
from .regularizers import Regularizer
from .validation import (
    as_float_array,
    as_labels,
    check_bool,
    check_number,
    check_positive_int,
    finite_checks_disabled,
    make_rng,
)


class TrainingDiverged(FloatingPointError):
    """Raised when the loss becomes NaN or infinite (a ``FloatingPointError``)."""


@dataclass
class History:
    """Per-epoch records of a training run (lists, one entry per epoch).

    ``train_loss`` and ``train_acc`` are running averages over the epoch's mini-batches
    (in training mode, so with dropout active); ``val_loss`` and ``val_acc`` are measured
    after the epoch in evaluation mode. ``train_loss`` is the data loss, without the
    penalty, so that it is comparable with ``val_loss``. ``lr`` is the rate of the epoch's
    last step, ``seconds`` the wall time of the epoch.
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    stopped_epoch: int | None = None
    best_epoch: int | None = None

    KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")

    @property
    def history(self) -> dict:
        """The per-epoch lists as a dict (like Keras' ``History.history``)."""
        return {k: getattr(self, k) for k in self.KEYS}

    def __len__(self):
        return len(self.epoch)

    def __repr__(self):
        if not self.epoch:
            return "History(empty)"
        last = {k: getattr(self, k)[-1] for k in ("train_loss", "train_acc", "val_loss",
                                                   "val_acc")}
        shown = ", ".join(f"{k}={v:.4f}" for k, v in last.items() if v is not None)
        return f"History({len(self.epoch)} epochs, last: {shown})"


class Callback:
    """Called after every epoch; return True from ``on_epoch_end`` to stop training."""

    def on_train_begin(self, model: Module) -> None:
        pass

    def on_epoch_end(self, epoch: int, history: History, model: Module) -> bool:
        return False

    def on_train_end(self, model: Module, history: History) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : {"val_loss", "val_acc", "train_loss", "train_acc"}
        Losses must decrease, accuracies increase, by more than ``min_delta``.
    patience : int
        Epochs without improvement before stopping.
    restore_best : bool
        At the end, put back the parameters (and the running statistics of any batch norm)
        of the best epoch (recorded in ``history.best_epoch``).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best: bool = True):
        if monitor not in ("val_loss", "val_acc", "train_loss", "train_acc"):
            raise ValueError(f"unknown monitor {monitor!r}; expected val_loss, val_acc, "
                             "train_loss or train_acc")
        self.monitor = monitor
        self.patience = check_positive_int(patience, "patience", minimum=0)
        self.min_delta = check_number(min_delta, "min_delta", 0.0)
        self.restore_best = bool(restore_best)

    def on_train_begin(self, model):
        self.best = None
        self.best_epoch = None
        self.wait = 0
        self._best_params = None

    def _improved(self, value):
        if self.best is None:
            return True
        if self.monitor.endswith("loss"):
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, history, model):
        value = getattr(history, self.monitor)[-1]
        if value is None:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which is not recorded; "
                             "pass validation_data to fit or monitor a train_* quantity")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self._best_params = [a.copy() for a in _model_arrays(model)]
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, model, history):
        history.best_epoch = self.best_epoch
        if self._best_params is not None:        # kept only when restore_best
            for a, best in zip(_model_arrays(model), self._best_params):
                a[...] = best


def _task(loss_fn: Loss) -> str:
    if isinstance(loss_fn, SoftmaxCrossEntropy):
        return "multiclass"
    if isinstance(loss_fn, BinaryCrossEntropy):
        return "binary"
    return "regression"


def _n_correct(task, out, y) -> int | None:
    """How many rows the outputs classify correctly; a binary target (0/1, or soft in
    [0, 1]) counts as class 1 when it is above 0.5, a logit when it is above 0."""
    if task == "multiclass":
        return int((out.argmax(axis=1) == y).sum())
    if task == "binary":
        return int(((out.reshape(-1) > 0) == (y.reshape(-1) > 0.5)).sum())
    return None


def predict_outputs(model: Module, X, batch_size: int = 4096) -> np.ndarray:
    """The model's outputs (logits) for ``X``, in evaluation mode, batch by batch.

    The model's train/eval mode is restored afterwards.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlib Module, got {type(model).__name__}")
    X = as_float_array(X, "X", ndim=2)
    batch_size = check_positive_int(batch_size, "batch_size")
    was_training = model.training
    model.eval()
    try:
        outs = [model.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outs)


def evaluate(model: Module, X, y, loss_fn: Loss | None = None,
             batch_size: int = 4096) -> tuple[float, float | None]:
    """``(mean loss, accuracy)`` of ``model`` on ``(X, y)`` in evaluation mode."""
    loss_fn = loss_fn or SoftmaxCrossEntropy()
    if not isinstance(loss_fn, Loss):
        raise TypeError(f"loss_fn must be an nnlib Loss, got {type(loss_fn).__name__}")
    X, y = _check_xy(X, y, _task(loss_fn))          # before the forward pass
    out = predict_outputs(model, X, batch_size)
    loss = loss_fn.forward(out, y)
    correct = _n_correct(_task(loss_fn), out, y)
    return loss, (None if correct is None else correct / len(out))


def _check_xy(X, y, task, name_x="X", name_y="y"):
    X = as_float_array(X, name_x, ndim=2)
    if task == "multiclass":
        y = as_labels(y, name_y, n_samples=X.shape[0])
    else:
        y = np.asarray(y)
        if y.dtype.kind not in "iufb":
            raise ValueError(f"{name_y} must be numeric, got dtype {y.dtype}")
        if y.ndim == 0 or y.shape[0] != X.shape[0]:
            raise ValueError(f"{name_y} has {y.shape[0] if y.ndim else 'no'} rows but {name_x} "
                             f"has {X.shape[0]}")
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError(f"{name_y} contains NaN or infinite values")
        if task == "binary":
            if y.shape[1:] not in ((), (1,)):
                raise ValueError(f"{name_y} must hold one 0/1 target per row for "
                                 f"BinaryCrossEntropy, got shape {y.shape}")
            if y.size and (y.min() < 0 or y.max() > 1):
                raise ValueError(f"{name_y} must hold 0/1 targets for BinaryCrossEntropy, got "
                                 f"values from {y.min()} to {y.max()}")
    return X, y


@dataclass
class _Run:
    """The checked arguments of one call of :func:`fit`."""

    model: Module
    loss_fn: Loss
    task: str
    X: np.ndarray
    y: np.ndarray
    validation: tuple | None
    optimizer: Optimizer
    batch_size: int
    epochs: int
    eval_batch_size: int
    regularizer: Regularizer | None
    schedule: object
    clip_norm: float | None
    callbacks: list
    augment: object
    rng: np.random.Generator
    history: History


def _check_labels_fit_outputs(model, X, loss_fn, task, labelled):
    """One row through the model (eval mode): its input size, and the targets against its
    outputs (labels < the number of outputs; one output for BinaryCrossEntropy; targets of
    the outputs' shape for MeanSquaredError)."""
    was_training = model.training
    model.eval()
    try:
        with np.errstate(all="ignore"):
            out = model.forward(X[:1])
    except Exception as exc:
        exc.add_note("nnlib.fit: raised by the model on the first row of X (X[:1]), which fit "
                     "passes through the model before training to check that they fit")
        raise
    finally:
        model.train(was_training)
    per_row = out.shape[1:]
    if task == "binary" and per_row not in ((), (1,)):
        raise ValueError("BinaryCrossEntropy needs one output per row (logits of shape (N,) or "
                         f"(N, 1)); the model has {int(np.prod(per_row))} outputs per row")
    if isinstance(loss_fn, MeanSquaredError):
        for name, target in labelled:
            if target.shape[1:] != per_row and {target.shape[1:], per_row} != {(), (1,)}:
                raise ValueError(f"{name} has shape {target.shape} but the model's outputs have "
                                 f"{int(np.prod(per_row))} values per row (shape "
                                 f"{(target.shape[0], *per_row)}); MeanSquaredError compares "
                                 "arrays of the same shape")
    if task != "multiclass" or out.ndim != 2:
        return
    for name, labels in labelled:
        if labels.size and labels.max() >= out.shape[1]:
            raise ValueError(f"{name} holds class {labels.max()} but the model has "
                             f"{out.shape[1]} outputs (classes 0..{out.shape[1] - 1})")


def _check_fit_arguments(model, X, y, *, loss, optimizer, lr, epochs, batch_size,
                         validation_data, regularizer, schedule, clip_norm, callbacks,
                         shuffle, seed, history, eval_batch_size, augment, progress) -> _Run:
    """Every check of :func:`fit`, before any work: a clear error, and nothing changed."""
    loss_fn = loss if loss is not None else SoftmaxCrossEntropy()
    if not isinstance(loss_fn, Loss):
        raise TypeError(f"loss must be an nnlib Loss, got {type(loss_fn).__name__}")
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlib Module, got {type(model).__name__}")
    task = _task(loss_fn)
    X, y = _check_xy(X, y, task)
    validation = None
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("validation_data must be a pair (X_val, y_val), got "
                             f"{type(validation_data).__name__}")
        validation = _check_xy(*validation_data, task, "X_val", "y_val")
        if validation[0].shape[1] != X.shape[1]:
            raise ValueError(f"X_val has {validation[0].shape[1]} columns (features) but X has "
                             f"{X.shape[1]}")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    eval_batch_size = check_positive_int(eval_batch_size, "eval_batch_size")
    if clip_norm is not None:
        clip_norm = check_number(clip_norm, "clip_norm", 0.0, None, low_inclusive=False)
    if regularizer is not None and not isinstance(regularizer, Regularizer):
        raise TypeError(f"regularizer must be an nnlib Regularizer, got {regularizer!r}")
    if schedule is not None and not callable(schedule):
        raise TypeError("schedule must be callable: schedule(epoch) -> learning rate")
    if augment is not None and not callable(augment):
        raise TypeError("augment must be callable: augment(X, rng) -> augmented X")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    check_bool(progress, "progress")
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be an nnlib History (from an earlier fit), got "
                        f"{type(history).__name__}")
    if isinstance(callbacks, Callback) or not isinstance(callbacks, Iterable):
        single = f"; write callbacks=[{type(callbacks).__name__}(...)]" \
            if isinstance(callbacks, Callback) else ""
        raise TypeError(f"callbacks must be a list of nnlib Callbacks, got "
                        f"{type(callbacks).__name__}{single}")
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be nnlib Callbacks, got {type(cb).__name__}")
        if any(cb is other for other in callbacks[:i]):
            raise ValueError(f"callbacks lists the same Callback more than once "
                             f"({type(cb).__name__}): it would be called twice per epoch")
        if isinstance(cb, EarlyStopping) and cb.monitor.startswith("val_") and not validation:
            raise ValueError(f"EarlyStopping monitors {cb.monitor!r}, which is not recorded; "
                             "pass validation_data to fit or monitor a train_* quantity")
    params = model.parameters()
    if lr is not None:
        lr = check_number(lr, "lr", 0.0, None, low_inclusive=False)
    if isinstance(optimizer, Optimizer):
        if {id(p) for p in optimizer.params} != {id(p) for p in params}:
            raise ValueError("optimizer was created for other parameters than this model's; "
                             "create it with the model's parameters: Adam(model.parameters())")
    else:
        check_optimizer_name(optimizer)
    rng = make_rng(seed)
    labelled = [("y", y)] + ([("y_val", validation[1])] if validation else [])
    _check_labels_fit_outputs(model, X, loss_fn, task, labelled)
    # every check passed: only now is anything changed or created
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            optimizer.lr = lr
        opt = optimizer
    else:
        opt = get_optimizer(optimizer, params, lr=lr)
    return _Run(model, loss_fn, task, X, y, validation, opt, batch_size, epochs,
                eval_batch_size, regularizer, schedule, clip_norm, callbacks, augment,
                rng, history if history is not None else History())


def _learning_rate(schedule, t: float) -> float:
    lr = schedule(t)
    if not (isinstance(lr, numbers.Real) and 0 < lr < math.inf):
        raise ValueError(f"schedule returned the learning rate {lr!r} at epoch {t:.4g}; "
                         "expected a finite number > 0")
    return float(lr)


def train_epoch(run: _Run, X: np.ndarray, order: np.ndarray, epoch: int) -> tuple:
    """One pass over the mini-batches ``X[order[i:i+B]]``: ``(mean loss, accuracy or None)``.

    The loss is the data loss (without the penalty), averaged over the samples, the last
    batch weighted by its real length.
    """
    model, loss_fn, opt, params = run.model, run.loss_fn, run.optimizer, run.model.parameters()
    n, B = len(order), run.batch_size
    steps = -(-n // B)
    total_loss, total_correct = 0.0, 0
    for step in range(steps):
        if run.schedule is not None:
            opt.lr = _learning_rate(run.schedule, epoch + step / steps)
        idx = order[step * B:(step + 1) * B]
        xb, yb = X[idx], run.y[idx]
        out = model.forward(xb)
        batch_loss = loss_fn.forward(out, yb)
        if not np.isfinite(batch_loss):
            raise TrainingDiverged(f"the loss became {batch_loss} at epoch {epoch}, step {step} "
                                   f"with learning rate {opt.lr:g}")
        model.backward(loss_fn.backward(), need_input_grad=False)
        if run.regularizer is not None:
            run.regularizer.add_gradient(params)
        if run.clip_norm is not None:
            clip_grad_norm(params, run.clip_norm)
        opt.step()
        total_loss += batch_loss * len(idx)
        correct = _n_correct(run.task, out, yb)
        if correct is not None:
            total_correct += correct
    _check_last_step(_loss_after_last_step(model, loss_fn, xb, yb), total_loss / n, epoch,
                     opt.lr)
    return total_loss / n, (total_correct / n if run.task != "regression" else None)


def _check_last_step(final: float, mean: float, epoch: int, lr: float) -> None:
    """Raise :class:`TrainingDiverged` if the last batch's loss after the last step is
    more than 1000 times the epoch's mean loss (or 1000, when the mean is below 1), or NaN."""
    if not final <= 1e3 * max(mean, 1.0):        # also catches NaN
        raise TrainingDiverged(f"the loss on the last batch became {final:.3g} after the last "
                               f"step of epoch {epoch} (the epoch's mean was {mean:.3g}), "
                               f"with learning rate {lr:g}")


def _loss_after_last_step(model, loss_fn, xb, yb) -> float:
    """The loss of the last batch with the final parameters (eval mode; inf if not finite).

    Every loss :func:`train_epoch` sees is computed *before* its step, so a last step that
    blows the weights up would go unnoticed; this one more forward pass sees it.
    """
    if not all(np.isfinite(p.value).all() for p in model.parameters()):
        return math.inf
    model.eval()
    try:
        loss = float(loss_fn.forward(model.forward(xb), yb))
    finally:
        model.train()
    return loss if math.isfinite(loss) else math.inf


def _record_epoch(history: History, epoch, train, val, lr, seconds) -> None:
    """Append one epoch to ``history`` (``train``, ``val``: (loss, accuracy) pairs)."""
    history.epoch.append(epoch)
    history.train_loss.append(train[0])
    history.train_acc.append(train[1])
    history.val_loss.append(val[0])
    history.val_acc.append(val[1])
    history.lr.append(lr)
    history.seconds.append(seconds)


def _augmented(augment, X, rng) -> np.ndarray:
    X_aug = augment(X, rng)
    if not isinstance(X_aug, np.ndarray) or X_aug.shape != X.shape or X_aug.dtype.kind != "f":
        raise ValueError(f"augment must return a float array of shape {X.shape}, got "
                         f"{getattr(X_aug, 'shape', type(X_aug).__name__)} "
                         f"{getattr(X_aug, 'dtype', '')}")
    return X_aug


def _model_arrays(model: Module) -> list:
    """Every array that makes the model what it is: the parameters' values and the
    non-trained state (a BatchNorm's running statistics), in a stable order."""
    return [p.value for p in model.parameters()] + [a for _, a in model.named_state()]


class _Snapshot:
    """The model's arrays and the optimizer's state, to roll back an epoch that failed."""

    def __init__(self, model: Module, opt: Optimizer):
        self.arrays, self.opt = _model_arrays(model), opt
        self.values = [a.copy() for a in self.arrays]
        self.opt_state = opt.snapshot()

    def restore(self) -> None:
        for a, value in zip(self.arrays, self.values):
            a[...] = value
        self.opt.restore(self.opt_state)


def fit(model: Module, X, y, *, loss=None, optimizer="adam", lr: float | None = None,
        epochs: int = 10, batch_size: int = 128, validation_data=None,
        regularizer: Regularizer | None = None, schedule=None, clip_norm: float | None = None,
        callbacks=(), shuffle: bool = True, seed=None, progress: bool = True,
        history: History | None = None, eval_batch_size: int = 4096, augment=None) -> History:
    """Train ``model`` on ``(X, y)`` with mini-batches; return a :class:`History`.

    Parameters
    ----------
    model : Module
        E.g. a :class:`~nnlib.core.Sequential` ending in logits.
    X : ndarray, shape (N, n_features)
        Float32 (fast) or float64. Never modified; mini-batches are copies of rows.
    y : ndarray, shape (N,)
        Integer class labels for ``SoftmaxCrossEntropy``; 0/1 for ``BinaryCrossEntropy``.
    loss : Loss, optional
        Default :class:`~nnlib.losses.SoftmaxCrossEntropy`.
    optimizer : str or Optimizer
        An :mod:`nnlib.optim` optimizer, or a name (``"adam"``, ``"sgd"``, ...).
    lr : float, optional
        Learning rate when ``optimizer`` is a name.
    epochs, batch_size : int
    validation_data : tuple (X_val, y_val), optional
        Evaluated after every epoch (``val_loss``, ``val_acc``); never augmented.
    regularizer : Regularizer, optional
        A penalty on the weights (:mod:`nnlib.regularizers`).
    schedule : callable, optional
        ``schedule(epoch) -> lr`` (:mod:`nnlib.schedules`), called before every step with
        the fractional epoch.
    clip_norm : float, optional
        Clip the global gradient norm to this value before each step.
    callbacks : sequence of Callback
        E.g. ``[EarlyStopping(patience=5)]``.
    shuffle : bool
        Draw a new random order every epoch (from ``seed``).
    seed : int or numpy.random.Generator, optional
        Seeds the shuffling and ``augment``. (Weights and dropout masks have their own seeds.)
    progress : bool
        Show a tqdm progress bar (notebook or terminal). ``TQDM_DISABLE=1`` also hides it.
    history : History, optional
        Continue an earlier run's history (epochs are numbered on from it).
    eval_batch_size : int
        Rows per forward pass when evaluating ``validation_data``. A CNN needs a smaller one
        (e.g. 1000) than an MLP: its im2col matrices are larger than the batch.
    augment : callable, optional
        ``augment(X, rng) -> X_aug`` (same shape), called at the start of every epoch,
        which then trains on ``X_aug``, e.g. :class:`~nnlib.augmentation.RandomShift`.

    Raises
    ------
    TrainingDiverged
        If the loss or the parameters become NaN or infinite, or the loss after an epoch's
        last step is over 1000 times the epoch's mean (and over 1000): the weights blew up.
        The parameters and the optimizer's state are first rolled back to the start of the
        failed epoch.
    """
    run = _check_fit_arguments(model, X, y, loss=loss, optimizer=optimizer, lr=lr,
                               epochs=epochs, batch_size=batch_size,
                               validation_data=validation_data, regularizer=regularizer,
                               schedule=schedule, clip_norm=clip_norm, callbacks=callbacks,
                               shuffle=shuffle, seed=seed, history=history,
                               eval_batch_size=eval_batch_size, augment=augment,
                               progress=progress)
    history, n = run.history, run.X.shape[0]
    first_epoch = len(history)
    model.train()
    for cb in run.callbacks:
        cb.on_train_begin(model)
    bar = progress_bar(range(first_epoch, first_epoch + run.epochs), progress=progress,
                       unit="epoch", leave=True, dynamic_ncols=True)
    try:
        for epoch in bar:
            start = time.perf_counter()
            snapshot = _Snapshot(model, run.optimizer)
            X_epoch = run.X if augment is None else _augmented(augment, run.X, run.rng)
            order = run.rng.permutation(n) if shuffle else np.arange(n)
            # The data was checked once above; per-batch NaN checks are switched off and a
            # NaN shows up in the loss instead (the weights blew up). One context per epoch,
            # not per step: entering it costs microseconds, and there are many steps.
            try:
                with np.errstate(over="ignore", invalid="ignore"), finite_checks_disabled():
                    train = train_epoch(run, X_epoch, order, epoch)
            except TrainingDiverged as exc:
                snapshot.restore()
                raise TrainingDiverged(
                    f"{exc}: training diverged. The parameters and the optimizer were rolled "
                    f"back to their state at the start of epoch {epoch}. The usual cause is a "
                    f"learning rate that is too high; try one 3-10x smaller, or clip the "
                    f"gradient norm (clip_norm=...).") from None
            except Exception as exc:
                snapshot.restore()
                exc.add_note(f"nnlib.fit: the parameters and the optimizer were rolled back to "
                             f"their state at the start of epoch {epoch}.")
                raise
            del X_epoch
            val = (evaluate(model, *run.validation, run.loss_fn, run.eval_batch_size)
                   if run.validation is not None else (None, None))
            _record_epoch(history, epoch, train, val, run.optimizer.lr,
                          time.perf_counter() - start)
            if progress:
                shown = {"loss": train[0], "acc": train[1], "val_loss": val[0], "val_acc": val[1]}
                bar.set_postfix({k: f"{v:.4f}" for k, v in shown.items() if v is not None})
            if any([cb.on_epoch_end(epoch, history, model) for cb in run.callbacks]):
                history.stopped_epoch = epoch
                break
    finally:
        bar.close()
        model.train()
    for cb in run.callbacks:
        cb.on_train_end(model, history)
    return history


__all__ = ["fit", "train_epoch", "evaluate", "predict_outputs", "History", "Callback", "EarlyStopping",
           "TrainingDiverged", "MeanSquaredError"]
