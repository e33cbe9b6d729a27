r"""Optimizers: how a gradient becomes a step.

Every optimizer is created on a model's parameters and updates them **in place**::

    opt = Adam(model.parameters(), lr=1e-3)
    ...                       # forward, loss, backward fill p.grad
    opt.step()                # p.value <- p.value - (something computed from p.grad)

Notation (one parameter array at a time): :math:`\theta` the parameter, :math:`g` its
gradient at step :math:`t = 1, 2, \dots`, :math:`\eta` the learning rate (``lr``),
:math:`\lambda` the weight decay. Operations on arrays are element-wise.

Conventions stated once:

* **epsilon sits outside the square root**: :math:`\theta \leftarrow \theta - \eta\, u / (\sqrt{s} + \epsilon)`
  (as in PyTorch and the Adam paper);
* **Nesterov** is written in the "look-ahead gradient" form used by PyTorch and Sutskever
  et al. (2013): :math:`v \leftarrow \mu v + g`, :math:`\theta \leftarrow \theta - \eta (g + \mu v)`;
* **weight decay** applies to weights (``W``) only, never to biases, like the
  regularizers in :mod:`nnlib.regularizers`. In ``SGD`` and ``Adam`` it is the coupled
  form :math:`g \leftarrow g + \lambda\theta` (the same as an L2 penalty
  :math:`\tfrac\lambda2\lVert\theta\rVert^2`); ``AdamW`` decouples it.

Each optimizer's ``update(theta, g, s)`` is its equations over whole arrays:
:math:`\theta` holds every parameter of the model in one flat array, :math:`g` their
gradients, ``s`` the optimizer's state (``s.m``, ``s.v``, ...), each of the same shape.
How that flat array is made, and why the state is flushed of tiny values now and then, is
speed machinery, kept in :mod:`nnlib.flat` and at the end of this file.
"""

from __future__ import annotations

import math

import numpy as np

from .core import Module, Parameter
from .flat import flatten_parameters, flush_every, flush_tiny
from .validation import check_number


def _as_parameter_list(params) -> list[Parameter]:
    if isinstance(params, Module):
        params = params.parameters()
    if isinstance(params, Parameter):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError("params is empty: the optimizer has nothing to update")
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"params must be nnlib Parameters (model.parameters()), "
                            f"got {type(p).__name__}")
    names = [p.name for i, p in enumerate(params) if any(p is q for q in params[:i])]
    if names:
        raise ValueError(f"params lists the same Parameter more than once ({', '.join(names)}): "
                         "it would be stepped once per listing; pass each parameter once")
    return params


class Optimizer:
    """Base class: the parameters, the learning rate ``lr`` and the step count ``t``.

    A subclass writes ``update(theta, g, state)``, one step in place over the flat arrays of
    all parameters, and declares its state buffers in ``__init__`` with ``add_state``.
    ``weight_decay`` (coupled) hands ``update`` the gradient ``g + weight_decay * theta`` on
    the weights (never the biases), the gradient of the L2 penalty ``weight_decay/2 ||W||^2``.
    """

    def __init__(self, params, lr: float, weight_decay: float = 0.0):
        # A subclass checks its own options before calling this: flattening rebinds every
        # p.value and p.grad (nnlib.flat), which a call that fails must not do.
        self.params = _as_parameter_list(params)
        self.lr = check_number(lr, "lr", 0.0, None, low_inclusive=False)
        self.weight_decay = check_number(weight_decay, "weight_decay", 0.0)
        self.t = 0
        self._flush_every = {}          # state name -> flush period (see nnlib.flat)
        self.groups = flatten_parameters(self.params)

    def step(self) -> None:
        """Apply one update to every parameter, using the gradients in ``p.grad``."""
        if not all(group.intact() for group in self.groups):
            self.groups = flatten_parameters(self.params, previous=self.groups)
        self.t += 1
        for group in self.groups:
            g = self._gradient(group)
            for sl, state in group.chunks:            # consecutive slices (nnlib.flat)
                self.update(group.value[sl], g[sl], state)
        for name, every in self._flush_every.items():
            if self.t % every == 0:
                for group in self.groups:
                    flush_tiny(getattr(group.state, name))

    def update(self, theta: np.ndarray, g: np.ndarray, state) -> None:
        """One step over the flat arrays ``theta`` (in place) and ``g``; ``state.<buffer>``."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad[...] = 0

    # ---------------------------------------------------------------- machinery
    def add_state(self, name: str, decay: float | None = None) -> None:
        """A zero buffer ``state.<name>`` like ``theta``; ``decay``: its factor per step, if any.

        State that only decays is flushed of near-subnormal values now and then (nnlib.flat).
        """
        for group in self.groups:
            group.add_state(name)
        every = flush_every(decay) if decay is not None else None
        if every:
            self._flush_every[name] = every

    def state_of(self, name: str) -> list[np.ndarray]:
        """The buffer ``name`` as one view per parameter, in the order of ``params``."""
        if not all(group.intact() for group in self.groups):
            self.groups = flatten_parameters(self.params, previous=self.groups)
        views = {id(p): view for group in self.groups
                 for p, view in zip(group.params, group.state_views(name))}
        return [views[id(p)] for p in self.params]

    def snapshot(self) -> dict:
        """A copy of the step count, the rate and every state buffer (see :meth:`restore`)."""
        return {"t": self.t, "lr": self.lr,
                "state": {name: [v.copy() for v in self.state_of(name)]
                          for name in self.groups[0].state_names()}}

    def restore(self, snapshot: dict) -> None:
        """Put back what :meth:`snapshot` saved (used by ``fit`` to roll back an epoch)."""
        self.t, self.lr = snapshot["t"], snapshot["lr"]
        for name, values in snapshot["state"].items():
            for view, value in zip(self.state_of(name), values):
                view[...] = value

    def _gradient(self, group) -> np.ndarray:
        """``g``, or with coupled weight decay ``g + weight_decay * theta`` on the weights."""
        if not self.weight_decay:
            return group.grad
        n, g = group.n_weights, group.scratch()
        np.multiply(group.value[:n], self.weight_decay, out=g[:n])
        g[:n] += group.grad[:n]
        g[n:] = group.grad[n:]
        return g

    def __repr__(self):
        opts = ", ".join(f"{k}={v}" for k, v in self._options().items())
        return f"{type(self).__name__}(lr={self.lr:g}{', ' if opts else ''}{opts})"

    def _options(self):
        return {}


class SGD(Optimizer):
    r"""Stochastic gradient descent: :math:`\theta \leftarrow \theta - \eta g`; with momentum
    :math:`\mu`: :math:`v \leftarrow \mu v + g,\ \theta \leftarrow \theta - \eta v`; with Nesterov,
    :math:`v \leftarrow \mu v + g,\ \theta \leftarrow \theta - \eta (g + \mu v)`.
    """

    def update(self, theta, g, state):
        if self.momentum == 0:
            theta -= self.lr * g                                  # theta -= eta g
            return
        v = state.velocity
        v *= self.momentum
        v += g                                                    # v = mu v + g
        theta -= self.lr * (g + self.momentum * v if self.nesterov else v)

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        """The velocity :math:`v` starts at zero. ``weight_decay`` is coupled (L2)."""
        self.momentum = check_number(momentum, "momentum", 0.0, 1.0, high_inclusive=False)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)
        super().__init__(params, lr, weight_decay)
        if self.momentum:
            self.add_state("velocity", decay=self.momentum)

    @property
    def velocity(self) -> list[np.ndarray]:
        """The velocity of each parameter (empty without momentum)."""
        return self.state_of("velocity") if self.momentum else []

    def _options(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class AdaGrad(Optimizer):
    r"""AdaGrad (Duchi et al., 2011): a per-coordinate rate shrinking with the gradients seen.

    :math:`G \leftarrow G + g^2, \quad \theta \leftarrow \theta - \eta\, g / (\sqrt{G} + \epsilon)`.
    """

    def update(self, theta, g, state):
        state.G += g * g                                          # G = G + g^2
        theta -= self.lr * g / (np.sqrt(state.G) + self.eps)

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-8):
        """:math:`G` starts at zero; it only grows, so the effective rate only decays."""
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        super().__init__(params, lr)
        self.add_state("G")

    @property
    def G(self) -> list[np.ndarray]:
        return self.state_of("G")

    def _options(self):
        return {"eps": self.eps}


class RMSProp(Optimizer):
    r"""RMSProp (Tieleman & Hinton, 2012): AdaGrad with a decaying average of :math:`g^2`.

    :math:`s \leftarrow \rho s + (1-\rho) g^2, \quad \theta \leftarrow \theta - \eta\, g / (\sqrt{s} + \epsilon)`.
    """

    def update(self, theta, g, state):
        s = state.s
        s *= self.rho
        s += (1 - self.rho) * g * g                               # s = rho s + (1 - rho) g^2
        theta -= self.lr * g / (np.sqrt(s) + self.eps)

    def __init__(self, params, lr: float = 0.001, rho: float = 0.9, eps: float = 1e-8):
        """:math:`s` starts at zero."""
        self.rho = check_number(rho, "rho", 0.0, 1.0, high_inclusive=False)
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        super().__init__(params, lr)
        self.add_state("s", decay=self.rho)

    @property
    def s(self) -> list[np.ndarray]:
        return self.state_of("s")

    def _options(self):
        return {"rho": self.rho, "eps": self.eps}


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`,
    :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
    :math:`\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)` with the
    bias-corrected :math:`\hat m = m / (1-\beta_1^t)`, :math:`\hat v = v / (1-\beta_2^t)`."""

    def update(self, theta, g, state):
        b1, b2, m, v = self.beta1, self.beta2, state.m, state.v
        m *= b1
        m += (1 - b1) * g                                         # m = b1 m + (1 - b1) g
        v *= b2
        v += (1 - b2) * g * g                                     # v = b2 v + (1 - b2) g^2
        c1, c2 = (1 - b1 ** self.t, 1 - b2 ** self.t) if self.bias_correction else (1, 1)
        # m_hat / (sqrt(v_hat) + eps) = m sqrt(c2) / c1 / (sqrt(v) + eps sqrt(c2)): two constants
        theta -= m / (np.sqrt(v) + self.eps * math.sqrt(c2)) * (self.lr * math.sqrt(c2) / c1)

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, bias_correction: bool = True):
        r""":math:`m` and :math:`v` start at zero, so without the correction they are biased
        towards zero in the first steps (``bias_correction=False`` shows the effect).
        ``weight_decay`` adds :math:`\lambda\theta` to :math:`g` (coupled, an L2 penalty);
        for decoupled decay use :class:`AdamW`.
        """
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = check_number(betas[0], "betas[0]", 0.0, 1.0, high_inclusive=False)
        self.beta2 = check_number(betas[1], "betas[1]", 0.0, 1.0, high_inclusive=False)
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        self.bias_correction = bool(bias_correction)
        super().__init__(params, lr, weight_decay)
        self.add_state("m", decay=self.beta1)
        self.add_state("v", decay=self.beta2)

    @property
    def m(self) -> list[np.ndarray]:
        """The first moment of each parameter (views into the flat state)."""
        return self.state_of("m")

    @property
    def v(self) -> list[np.ndarray]:
        """The second moment of each parameter (views into the flat state)."""
        return self.state_of("v")

    def _options(self):
        return {"betas": (self.beta1, self.beta2), "eps": self.eps,
                "weight_decay": self.weight_decay, "bias_correction": self.bias_correction}


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019): before the Adam step,
    the weights shrink directly, :math:`W \leftarrow W - \eta\lambda W`, not through :math:`g`.
    """

    def update(self, theta, g, state):
        theta[:state.n_weights] *= 1 - self.lr * self.decoupled_weight_decay   # W -= eta lambda W
        super().update(theta, g, state)

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, bias_correction: bool = True):
        r"""Under Adam an L2 penalty's gradient :math:`\lambda\theta` is divided by
        :math:`\sqrt{\hat v}`, so weights with large gradients are barely decayed; AdamW
        decays every weight at the same rate. Biases are not decayed.
        """
        self.decoupled_weight_decay = check_number(weight_decay, "weight_decay", 0.0)
        super().__init__(params, lr, betas, eps, 0.0, bias_correction)

    def _options(self):
        opts = super()._options()
        opts["weight_decay"] = self.decoupled_weight_decay
        return opts


def clip_grad_norm(params, max_norm: float) -> float:
    r"""Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    .. math::
        \lVert g\rVert = \sqrt{\textstyle\sum_p \sum_i g_{p,i}^2}, \qquad
        g \leftarrow g \cdot \min\!\Big(1, \frac{\text{max\_norm}}{\lVert g\rVert + 10^{-6}}\Big)

    (Pascanu et al., 2013). The direction of the step is kept; only its length is capped.
    Returns the norm **before** clipping.
    """
    params = _as_parameter_list(params)
    max_norm = check_number(max_norm, "max_norm", 0.0, None, low_inclusive=False)
    total = float(np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params)))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for p in params:
            p.grad *= scale
    return total


OPTIMIZERS = {"sgd": SGD, "momentum": SGD, "nesterov": SGD, "adagrad": AdaGrad,
              "rmsprop": RMSProp, "adam": Adam, "adamw": AdamW}


def check_optimizer_name(name) -> str:
    """``name`` in lower case if it names an optimizer, else a ``ValueError`` listing them."""
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    return name.lower()


def get_optimizer(name, params, lr=None, **options) -> Optimizer:
    """An optimizer from its name: sgd, momentum (0.9), nesterov, adagrad, rmsprop, adam, adamw."""
    if isinstance(name, Optimizer):
        return name
    key = check_optimizer_name(name)
    if key == "momentum":
        options.setdefault("momentum", 0.9)
    if key == "nesterov":
        options.setdefault("momentum", 0.9)
        options["nesterov"] = True
    if lr is not None:
        options["lr"] = lr
    return OPTIMIZERS[key](params, **options)
