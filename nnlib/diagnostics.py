r"""Looking inside a network before trusting its training: the checks practitioners run first.

* :func:`activation_stats`: what each layer of a ``Sequential`` outputs on a batch: its
  mean, its standard deviation, the fraction of exact zeros (dead ReLUs) and of saturated
  units (:math:`|a| > 0.99` after tanh, :math:`a < 0.01` or :math:`a > 0.99` after a
  sigmoid). A signal whose standard deviation shrinks layer after layer is dying; one that
  grows is exploding.
* :func:`gradient_stats`: one forward and backward pass; the standard deviation of
  :math:`\partial L/\partial(\text{layer input})` per layer, and for every parameter the
  ratio :math:`\lVert \partial L/\partial\theta\rVert / \lVert\theta\rVert`.
* :func:`update_ratios`: :math:`\lVert \Delta\theta\rVert / \lVert\theta\rVert` of one
  optimizer step per parameter; around :math:`10^{-3}` is the usual healthy value, far
  below means the layer hardly learns, far above that it is being thrown around.
* :func:`initial_loss`: the loss of an untrained classifier, next to :math:`\ln K`, what a
  network that predicts the uniform distribution over ``K`` classes scores.
* :func:`overfit_small_batch`: a copy of the model trained on a few samples must reach
  100 % training accuracy; if it cannot, the bug is in the model or the gradients, not in
  the data or the regularisation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .activations import ReLU, Sigmoid, Tanh
from .core import Module, Sequential
from .losses import Loss, SoftmaxCrossEntropy
from .validation import as_float_array, check_positive_int


@dataclass
class LayerStats:
    """Statistics of one layer's output on a batch (see :func:`activation_stats`)."""

    index: int
    layer: str
    mean: float
    std: float
    frac_zero: float
    frac_saturated: float
    values: np.ndarray | None = field(default=None, repr=False)


def _check_sequential(model) -> Sequential:
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an nnlib Sequential (its layers are inspected one by "
                        f"one), got {type(model).__name__}")
    return model


def _saturated(layer: Module, a: np.ndarray) -> float:
    if isinstance(layer, Tanh):
        return float(np.mean(np.abs(a) > 0.99))
    if isinstance(layer, Sigmoid):
        return float(np.mean((a < 0.01) | (a > 0.99)))
    return 0.0


def activation_stats(model: Sequential, X, keep_values: bool = False,
                     training: bool = False) -> list[LayerStats]:
    """Run ``X`` through ``model`` and describe every layer's output.

    Parameters
    ----------
    model : Sequential
        Not changed: its mode is restored afterwards, and a training-mode pass runs on a copy.
    X : ndarray
        A batch, e.g. ``(N, n_in)``.
    keep_values : bool
        Also keep each output (``LayerStats.values``, flattened) for a histogram.
    training : bool
        ``False`` (default): evaluation mode, what predictions see. ``True``: training mode,
        what the gradients see: batch norm standardises with the batch's own statistics
        (in evaluation mode an untrained ``BatchNorm`` is the identity, since its running
        statistics start at mean 0 and variance 1), and dropout drops. The pass runs on a
        copy of the model, so its running statistics and random generators do not move.

    Returns
    -------
    list of LayerStats
        One per layer, in order.
    """
    model = _check_sequential(model)
    a = as_float_array(X, "X")
    if training:
        model = copy.deepcopy(model)
    was_training = model.training
    model.train(bool(training))
    stats = []
    try:
        for i, layer in enumerate(model):
            a = layer.forward(a)
            frac_zero = float(np.mean(a == 0)) if isinstance(layer, ReLU) else 0.0
            stats.append(LayerStats(i, type(layer).__name__, float(a.mean()), float(a.std()),
                                    frac_zero, _saturated(layer, a),
                                    a.ravel().copy() if keep_values else None))
    finally:
        model.train(was_training)
    return stats


def gradient_stats(model: Sequential, X, y, loss: Loss | None = None) -> dict:
    """One forward and backward pass on ``(X, y)`` in training mode, layer by layer, on a copy
    of ``model`` (which is not changed: not its gradients, running statistics or generators).

    Returns a dict with ``"input_grad_std"`` (list: the standard deviation of
    :math:`\\partial L/\\partial x` at the input of each layer, the first layer's first) and
    ``"grad_to_weight"`` (dict: parameter name to
    :math:`\\lVert\\partial L/\\partial\\theta\\rVert / \\lVert\\theta\\rVert`, ``inf`` for
    a parameter that is all zeros, like a bias at initialisation). The parameters' ``grad``
    arrays of the copy hold the gradients of this pass.
    """
    model = copy.deepcopy(_check_sequential(model)).train()
    loss = loss or SoftmaxCrossEntropy()
    out = model.forward(as_float_array(X, "X"))
    loss.forward(out, y)
    g = loss.backward()
    input_grad_std = []
    for layer in reversed(model.layers):
        g = layer.backward(g)
        input_grad_std.append(float(np.std(g)))
    ratios = {}
    for name, p in model.named_parameters():
        norm = float(np.linalg.norm(p.value))
        ratios[name] = float(np.linalg.norm(p.grad)) / norm if norm > 0 else float("inf")
    return {"input_grad_std": input_grad_std[::-1], "grad_to_weight": ratios}


def parameter_values(model: Module) -> dict:
    """A copy of every parameter's value, by name (the "before" of :func:`update_ratios`)."""
    return {name: p.value.copy() for name, p in model.named_parameters()}


def update_ratios(model: Module, before: dict) -> dict:
    """:math:`\\lVert\\theta - \\theta_\\text{before}\\rVert / \\lVert\\theta_\\text{before}\\rVert`
    per parameter name (``inf`` where ``before`` was all zeros and moved).

    ``before`` comes from :func:`parameter_values`, taken before one optimizer step."""
    params = dict(model.named_parameters())
    if set(before) != set(params):
        raise ValueError(f"before must hold the parameters of this model (from "
                         f"parameter_values(model)): expected {sorted(params)}, got "
                         f"{sorted(before)}")
    ratios = {}
    for name, p in params.items():
        if before[name].shape != p.value.shape:
            raise ValueError(f"before[{name!r}] has shape {before[name].shape}, the parameter "
                             f"{p.value.shape}")
        step = float(np.linalg.norm(p.value - before[name]))
        norm = float(np.linalg.norm(before[name]))
        ratios[name] = step / norm if norm > 0 else (0.0 if step == 0 else float("inf"))
    return ratios


def initial_loss(model: Module, X, y, n_classes: int) -> tuple[float, float]:
    """``(loss, ln K)``: the softmax cross-entropy of ``model`` on ``(X, y)``, and what a
    network predicting the uniform distribution over ``n_classes`` scores. An untrained
    network should be close (within a few tenths); far above means confident wrong
    predictions at initialisation, usually weights that are too large. Evaluation mode."""
    from .training import evaluate

    n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
    loss, _ = evaluate(model, X, y)
    return float(loss), float(np.log(n_classes))


def overfit_small_batch(model: Module, X, y, *, steps: int = 200, lr: float = 1e-2) -> dict:
    """Train a **copy** of ``model`` with Adam on ``(X, y)`` alone (a few samples) until it
    classifies all of them correctly, or for ``steps`` full-batch steps.

    A correct network and backward pass fit a handful of samples perfectly; failing to is
    a bug to find before any long run. The accuracy is that of the forward pass each step
    trains on (training mode: remove dropout for this check). The model passed in is not
    changed.

    Returns a dict with ``"accuracy"`` (the final training accuracy on ``X``), ``"steps"``
    (the steps taken) and ``"losses"`` (the loss before every step).
    """
    from .optim import Adam
    from .training import _check_xy

    steps = check_positive_int(steps, "steps")
    X, y = _check_xy(X, y, "multiclass")
    net = copy.deepcopy(model).train()
    opt = Adam(net.parameters(), lr=lr)
    loss_fn = SoftmaxCrossEntropy()
    losses, accuracy = [], 0.0
    for step in range(steps + 1):
        out = net.forward(X)
        accuracy = float(np.mean(out.argmax(axis=1) == y))
        if accuracy == 1.0 or step == steps:
            break
        losses.append(float(loss_fn.forward(out, y)))
        net.backward(loss_fn.backward(), need_input_grad=False)
        opt.step()
    return {"accuracy": accuracy, "steps": step, "losses": losses}
