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

The updates are written with ``out=`` arguments and preallocated buffers so that a step
allocates no new arrays: that makes them fast, and each line is commented with the
equation it computes.

**Subnormal numbers.** A running average that only decays (Adam's :math:`m` where the
gradient is exactly zero, as for the weights of an MNIST border pixel that is never
inked, or of a dead ReLU unit) shrinks towards zero until it falls below the smallest
normal float (1.2e-38 in float32). There the CPU switches to *subnormal* arithmetic,
10 to 100 times slower, and ``0.9 * x`` of the smallest subnormal rounds back to itself,
so the slow values never leave. An epoch that took 1.5 s took 3.5 s two epochs later. So
every few steps the optimizers set the entries of such buffers below
``1e10 * finfo(dtype).tiny`` (1.2e-28 in float32) to zero: values that small change no
step, and they never get the chance to become subnormal.
"""

from __future__ import annotations

import math

import numpy as np

from .core import Module, Parameter
from .validation import check_number


def _as_parameter_list(params) -> list[Parameter]:
    if isinstance(params, Module):
        params = params.parameters()
    params = list(params)
    if not params:
        raise ValueError("params is empty: the optimizer has nothing to update")
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"params must be nnlib Parameters (model.parameters()), "
                            f"got {type(p).__name__}")
    return params


class Optimizer:
    """Base class: holds the parameters, the learning rate and the step count ``t``."""

    def __init__(self, params, lr: float):
        self.params = _as_parameter_list(params)
        self.lr = check_number(lr, "lr", 0.0, None, low_inclusive=False)
        self.t = 0
        # One scratch buffer per parameter, reused by every step (no allocations).
        self._tmp = [np.empty_like(p.value) for p in self.params]
        self._gbuf = None          # g + weight_decay * theta, allocated when first needed
        self._decaying = []        # (buffers, decay factor): state that shrinks geometrically

    def _register_decaying(self, buffers, factor: float) -> None:
        """Declare ``buffers`` as state multiplied by ``factor`` each step (see the module doc)."""
        if 0 < factor < 1:
            # Every `every` steps, a value above the threshold cannot get below tiny before the
            # next flush: factor ** every >= 1e-9 > 1e-10 = tiny / threshold.
            every = int(min(256, max(1, math.log(1e-9) / math.log(factor))))
            self._decaying.append((buffers, every))

    def _flush_tiny(self) -> None:
        """Zero the entries of decaying state that are about to become subnormal."""
        for buffers, every in self._decaying:
            if self.t % every:
                continue
            for buf in buffers:
                threshold = 1e10 * np.finfo(buf.dtype).tiny
                buf[np.abs(buf) < threshold] = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad[...] = 0

    def step(self) -> None:
        """Apply one update to every parameter, using the gradients in ``p.grad``."""
        self.t += 1
        for i, p in enumerate(self.params):
            self._update(i, p)
        if self._decaying:
            self._flush_tiny()

    def _update(self, i: int, p: Parameter) -> None:
        raise NotImplementedError

    def _grad_with_decay(self, i, p, weight_decay):
        """``g + weight_decay * theta`` for weights (into a scratch buffer), else ``g``."""
        if weight_decay and p.is_weight:
            if self._gbuf is None:
                self._gbuf = [np.empty_like(q.value) for q in self.params]
            g = self._gbuf[i]
            np.multiply(p.value, weight_decay, out=g)
            g += p.grad
            return g
        return p.grad

    def __repr__(self):
        opts = ", ".join(f"{k}={v}" for k, v in self._options().items())
        return f"{type(self).__name__}(lr={self.lr:g}{', ' if opts else ''}{opts})"

    def _options(self):
        return {}


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum, Nesterov and weight decay.

    .. math::
        g &\leftarrow g + \lambda\theta \quad\text{(weights only, if weight\_decay)}\\
        \text{plain:}\quad \theta &\leftarrow \theta - \eta g\\
        \text{momentum:}\quad v &\leftarrow \mu v + g, \qquad \theta \leftarrow \theta - \eta v\\
        \text{Nesterov:}\quad v &\leftarrow \mu v + g, \qquad \theta \leftarrow \theta - \eta (g + \mu v)

    The velocity :math:`v` starts at zero.
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = check_number(momentum, "momentum", 0.0, 1.0, high_inclusive=False)
        self.weight_decay = check_number(weight_decay, "weight_decay", 0.0)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity = [np.zeros_like(p.value) for p in self.params]
        self._register_decaying(self.velocity, self.momentum)
        self._tmp2 = [np.empty_like(p.value) for p in self.params] if nesterov else None

    def _update(self, i, p):
        g = self._grad_with_decay(i, p, self.weight_decay)
        if self.momentum == 0:
            np.multiply(g, self.lr, out=self._tmp[i])
            p.value -= self._tmp[i]                    # theta -= eta g
            return
        v = self.velocity[i]
        v *= self.momentum                         # v = mu v
        v += g                                     #     + g
        if self.nesterov:
            step = self._tmp2[i]
            np.multiply(v, self.momentum, out=step)    # mu v
            step += g                                  # g + mu v
            step *= self.lr
            p.value -= step                            # theta -= eta (g + mu v)
        else:
            np.multiply(v, self.lr, out=self._tmp[i])
            p.value -= self._tmp[i]                    # theta -= eta v

    def _options(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class AdaGrad(Optimizer):
    r"""AdaGrad (Duchi et al., 2011): a per-coordinate rate shrinking with the gradients seen.

    .. math::
        G \leftarrow G + g^2, \qquad \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{G} + \epsilon}

    :math:`G` starts at zero. Because :math:`G` only grows, the effective rate only decays.
    """

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-8):
        super().__init__(params, lr)
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        self.G = [np.zeros_like(p.value) for p in self.params]

    def _update(self, i, p):
        g, G, tmp = p.grad, self.G[i], self._tmp[i]
        np.multiply(g, g, out=tmp)
        G += tmp                                   # G = G + g^2
        np.sqrt(G, out=tmp)
        tmp += self.eps                            # sqrt(G) + eps
        np.divide(g, tmp, out=tmp)                 # g / (sqrt(G) + eps)
        tmp *= self.lr
        p.value -= tmp                             # theta -= eta * ...

    def _options(self):
        return {"eps": self.eps}


class RMSProp(Optimizer):
    r"""RMSProp (Tieleman & Hinton, 2012): AdaGrad with a decaying average of :math:`g^2`.

    .. math::
        s \leftarrow \rho s + (1-\rho) g^2, \qquad
        \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{s} + \epsilon}

    :math:`s` starts at zero.
    """

    def __init__(self, params, lr: float = 0.001, rho: float = 0.9, eps: float = 1e-8):
        super().__init__(params, lr)
        self.rho = check_number(rho, "rho", 0.0, 1.0, high_inclusive=False)
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        self.s = [np.zeros_like(p.value) for p in self.params]
        self._register_decaying(self.s, self.rho)

    def _update(self, i, p):
        g, s, tmp = p.grad, self.s[i], self._tmp[i]
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.rho
        s *= self.rho
        s += tmp                                   # s = rho s + (1 - rho) g^2
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr
        p.value -= tmp                             # theta -= eta g / (sqrt(s) + eps)

    def _options(self):
        return {"rho": self.rho, "eps": self.eps}


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) with explicit bias correction.

    .. math::
        m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\\
        \hat m &= \frac{m}{1-\beta_1^t}, \qquad \hat v = \frac{v}{1-\beta_2^t}, \qquad
        \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}.

    :math:`m` and :math:`v` start at zero, so without the correction they are biased
    towards zero in the first steps (``bias_correction=False`` shows the effect).
    ``weight_decay`` adds :math:`\lambda\theta` to :math:`g` (coupled, an L2 penalty);
    for decoupled decay use :class:`AdamW`.
    """

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, bias_correction: bool = True):
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = check_number(betas[0], "betas[0]", 0.0, 1.0, high_inclusive=False)
        self.beta2 = check_number(betas[1], "betas[1]", 0.0, 1.0, high_inclusive=False)
        self.eps = check_number(eps, "eps", 0.0, None, low_inclusive=False)
        self.weight_decay = check_number(weight_decay, "weight_decay", 0.0)
        self.bias_correction = bool(bias_correction)
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]
        self._register_decaying(self.m, self.beta1)
        self._register_decaying(self.v, self.beta2)

    def _decay(self, p):
        """Hook for AdamW's decoupled weight decay (nothing here)."""

    def _update(self, i, p):
        b1, b2 = self.beta1, self.beta2
        g = self._grad_with_decay(i, p, self.weight_decay)
        m, v, tmp = self.m[i], self.v[i], self._tmp[i]
        self._decay(p)
        np.multiply(g, 1 - b1, out=tmp)
        m *= b1
        m += tmp                                   # m = b1 m + (1 - b1) g
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v *= b2
        v += tmp                                   # v = b2 v + (1 - b2) g^2
        if self.bias_correction:
            c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        else:
            c1 = c2 = 1.0
        np.sqrt(v, out=tmp)
        tmp *= 1 / math.sqrt(c2)                   # sqrt(v_hat) = sqrt(v / c2)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)                 # m / (sqrt(v_hat) + eps)
        tmp *= self.lr / c1                        # m_hat = m / c1  (Python floats: float32 stays)
        p.value -= tmp                             # theta -= eta m_hat / (sqrt(v_hat) + eps)

    def _options(self):
        return {"betas": (self.beta1, self.beta2), "eps": self.eps,
                "weight_decay": self.weight_decay, "bias_correction": self.bias_correction}


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before the Adam step, weights shrink directly, not through the gradient:

    .. math:: \theta \leftarrow \theta - \eta\lambda\theta, \quad\text{then the Adam update with } g.

    Under Adam an L2 penalty's gradient :math:`\lambda\theta` is divided by
    :math:`\sqrt{\hat v}`, so weights with large gradients are barely decayed; AdamW
    decays every weight at the same rate. Biases are not decayed.
    """

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, bias_correction: bool = True):
        super().__init__(params, lr, betas, eps, 0.0, bias_correction)
        self.decoupled_weight_decay = check_number(weight_decay, "weight_decay", 0.0)

    def _decay(self, p):
        if self.decoupled_weight_decay and p.is_weight:
            p.value *= 1 - self.lr * self.decoupled_weight_decay   # theta -= eta lambda theta

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


def get_optimizer(name, params, lr=None, **options) -> Optimizer:
    """An optimizer from its name: sgd, momentum (0.9), nesterov, adagrad, rmsprop, adam, adamw."""
    if isinstance(name, Optimizer):
        return name
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    key = name.lower()
    if key == "momentum":
        options.setdefault("momentum", 0.9)
    if key == "nesterov":
        options.setdefault("momentum", 0.9)
        options["nesterov"] = True
    if lr is not None:
        options["lr"] = lr
    return OPTIMIZERS[key](params, **options)
