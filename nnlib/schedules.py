r"""Learning-rate schedules: the rate as a function of the (fractional) epoch.

A schedule is a callable ``schedule(epoch) -> lr`` where ``epoch`` counts from 0 and may
be fractional: :func:`nnlib.training.fit` calls it before every mini-batch with
``epoch + step / steps_per_epoch``, so smooth schedules change smoothly within an epoch.
Every schedule starts from ``lr0`` (:math:`\eta_0`).
"""

from __future__ import annotations

import math

from .validation import check_number, check_positive_int


class Schedule:
    """Base class. ``values(epochs)`` gives the rate at the start of each epoch (for plots)."""

    def __call__(self, epoch: float) -> float:
        raise NotImplementedError

    def values(self, epochs: int, steps_per_epoch: int = 1) -> list[float]:
        epochs = check_positive_int(epochs, "epochs", minimum=0)
        steps_per_epoch = check_positive_int(steps_per_epoch, "steps_per_epoch")
        return [self(e / steps_per_epoch) for e in range(epochs * steps_per_epoch)]


class Constant(Schedule):
    r""":math:`\eta(e) = \eta_0`."""

    def __init__(self, lr0: float):
        self.lr0 = check_number(lr0, "lr0", 0.0, None, low_inclusive=False)

    def __call__(self, epoch):
        return self.lr0

    def __repr__(self):
        return f"Constant(lr0={self.lr0:g})"


class StepDecay(Schedule):
    r""":math:`\eta(e) = \eta_0\,\gamma^{\lfloor e / s\rfloor}`: multiply by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, lr0: float, step_size: float, gamma: float = 0.1):
        self.lr0 = check_number(lr0, "lr0", 0.0, None, low_inclusive=False)
        self.step_size = check_number(step_size, "step_size", 0.0, None, low_inclusive=False)
        self.gamma = check_number(gamma, "gamma", 0.0, 1.0, low_inclusive=False)

    def __call__(self, epoch):
        return self.lr0 * self.gamma ** math.floor(epoch / self.step_size + 1e-9)

    def __repr__(self):
        return f"StepDecay(lr0={self.lr0:g}, step_size={self.step_size:g}, gamma={self.gamma:g})"


class ExponentialDecay(Schedule):
    r""":math:`\eta(e) = \eta_0\,\gamma^{e}`."""

    def __init__(self, lr0: float, gamma: float = 0.9):
        self.lr0 = check_number(lr0, "lr0", 0.0, None, low_inclusive=False)
        self.gamma = check_number(gamma, "gamma", 0.0, 1.0, low_inclusive=False)

    def __call__(self, epoch):
        return self.lr0 * self.gamma ** epoch

    def __repr__(self):
        return f"ExponentialDecay(lr0={self.lr0:g}, gamma={self.gamma:g})"


class CosineDecay(Schedule):
    r""":math:`\eta(e) = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})\big(1 + \cos(\pi e / T)\big)`
    for :math:`e \le T`, then :math:`\eta_{min}` (Loshchilov & Hutter, 2017, one cycle)."""

    def __init__(self, lr0: float, total_epochs: float, lr_min: float = 0.0):
        self.lr0 = check_number(lr0, "lr0", 0.0, None, low_inclusive=False)
        self.total_epochs = check_number(total_epochs, "total_epochs", 0.0, None,
                                         low_inclusive=False)
        self.lr_min = check_number(lr_min, "lr_min", 0.0, self.lr0)

    def __call__(self, epoch):
        e = min(epoch, self.total_epochs)
        return self.lr_min + 0.5 * (self.lr0 - self.lr_min) * (
            1 + math.cos(math.pi * e / self.total_epochs))

    def __repr__(self):
        return f"CosineDecay(lr0={self.lr0:g}, total_epochs={self.total_epochs:g})"


class LinearWarmup(Schedule):
    r"""Linear warm-up over ``warmup_epochs``, then another schedule (or a constant).

    .. math::
        \eta(e) = \eta_0\,\frac{e + \delta}{W}\ \text{ for } e < W, \qquad
        \eta(e) = \text{after}(e - W)\ \text{ otherwise,}

    with :math:`\delta` = 1 / ``steps_per_epoch`` (default 1), so that the first step
    already has a small non-zero rate (Goyal et al., 2017). ``after`` defaults to the
    constant :math:`\eta_0`; its clock starts when the warm-up ends.
    """

    def __init__(self, lr0: float, warmup_epochs: float, after: Schedule | None = None,
                 steps_per_epoch: int = 1):
        self.lr0 = check_number(lr0, "lr0", 0.0, None, low_inclusive=False)
        self.warmup_epochs = check_number(warmup_epochs, "warmup_epochs", 0.0, None,
                                          low_inclusive=False)
        if after is not None and not callable(after):
            raise TypeError("after must be a schedule (callable: epoch -> learning rate), "
                            f"got {after!r}")
        self.after = after if after is not None else Constant(lr0)
        self.delta = 1.0 / check_positive_int(steps_per_epoch, "steps_per_epoch")

    def __call__(self, epoch):
        if epoch < self.warmup_epochs:
            return self.lr0 * min(1.0, (epoch + self.delta) / self.warmup_epochs)
        return self.after(epoch - self.warmup_epochs)

    def __repr__(self):
        return f"LinearWarmup(lr0={self.lr0:g}, warmup_epochs={self.warmup_epochs:g}, " \
               f"after={self.after!r})"
