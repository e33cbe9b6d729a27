r"""Exercises of chapter 5, optimizers (``book/05_optimizers.ipynb``).

The notation is that of :mod:`nnlib.optim`: :math:`\theta` a parameter array, :math:`g` its
gradient at step :math:`t = 1, 2, \dots`, :math:`\eta` the learning rate, :math:`\lambda` the
weight decay; operations are element-wise and :math:`\epsilon` sits outside the square root.

=================================  ==========================================================
name                               the learner writes
=================================  ==========================================================
``ch05.adamw_step``                one AdamW step: decoupled decay, then the bias-corrected Adam update
``ch05.clip_by_global_norm``       scale four gradient arrays together to a global norm of at most ``max_norm``
``ch05.cosine_decay``              the cosine schedule from ``lr0`` down to ``lr_min`` at epoch ``T``, then flat
``ch05.lion_step``                 *build*: one step of Lion from its equations (the chapter shows none)
``ch05.momentum_max_lr``           *investigate*: the largest stable rate of momentum on a quadratic, to 2 %
=================================  ==========================================================

The references come from ``nnlib`` (``optim.AdamW``, ``optim.clip_grad_norm``,
``schedules.CosineDecay``), from Lion's equations (Chen et al., 2023), and from the
eigenvalue condition :math:`\eta\lambda_\text{max} < 2(1 + \mu)`; each solution is the code of
the chapter's solution cell.
"""

from __future__ import annotations

import numpy as np

from ._core import register

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8

# --------------------------------------------------------------------------- AdamW step
adamw_ex = register(
    "ch05.adamw_step", title="one step of AdamW",
    instructions="given theta, its gradient g, the moments m and v, the step number t "
                 "(1 for the first step), lr and weight_decay, return (theta, m, v) after one "
                 "AdamW step: theta = (1 - lr * weight_decay) * theta, then the Adam update "
                 "with beta1 = 0.9, beta2 = 0.999, eps = 1e-8 and bias correction",
    hint="four lines: decay theta by the factor (1 - lr * weight_decay); update m and v with "
         "g alone; m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t); "
         "theta -= lr * m_hat / (np.sqrt(v_hat) + eps)",
    output_names=("theta", "m", "v"), rtol=1e-6, atol=1e-10)


@adamw_ex.inputs
def _adamw_inputs(rng):
    cases = []
    for shape, t in [((4,), 1), ((3, 5), 2), ((6, 2), 10)]:
        theta = rng.normal(0, 1, size=shape)
        g = rng.normal(0, 1, size=shape)
        if t == 1:
            m = np.zeros(shape)
            v = np.zeros(shape)
        else:       # moments as they are after t - 1 steps: m of any sign, v positive
            m = rng.normal(0, 0.3, size=shape)
            v = rng.uniform(0.01, 0.5, size=shape)
        cases.append((theta, g, m, v, t, float(rng.choice([0.01, 0.05])),
                      float(rng.choice([0.1, 0.5]))))
    return cases


@adamw_ex.reference
def _adamw_reference(theta, g, m, v, t, lr, weight_decay):
    from nnlib.core import Parameter
    from nnlib.optim import AdamW
    p = Parameter(np.array(theta, dtype=np.float64), "W")
    p.grad[...] = g
    opt = AdamW([p], lr=lr, betas=(BETA1, BETA2), eps=EPS, weight_decay=weight_decay)
    opt.m[0][...] = m
    opt.v[0][...] = v
    opt.t = t - 1                              # step() counts this step as t
    opt.step()
    return p.value, opt.m[0], opt.v[0]


@adamw_ex.solution
def adamw_step(theta, g, m, v, t, lr, weight_decay):
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    theta = (1 - lr * weight_decay) * theta            # decoupled weight decay
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta, m, v


@adamw_ex.mistake("that is Adam with an L2 penalty (weight_decay * theta added to the "
                  "gradient, so it goes through m and v); AdamW decays theta directly, "
                  "theta = (1 - lr * weight_decay) * theta, and feeds g alone to m and v")
def _adamw_coupled(theta, g, m, v, t, lr, weight_decay):
    g = g + weight_decay * theta
    m = BETA1 * m + (1 - BETA1) * g
    v = BETA2 * v + (1 - BETA2) * g ** 2
    m_hat, v_hat = m / (1 - BETA1 ** t), v / (1 - BETA2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + EPS), m, v


@adamw_ex.mistake("the bias correction is missing: divide m by (1 - beta1**t) and v by "
                  "(1 - beta2**t) before the update (the stored m and v stay uncorrected)")
def _adamw_no_correction(theta, g, m, v, t, lr, weight_decay):
    theta = (1 - lr * weight_decay) * theta
    m = BETA1 * m + (1 - BETA1) * g
    v = BETA2 * v + (1 - BETA2) * g ** 2
    return theta - lr * m / (np.sqrt(v) + EPS), m, v


@adamw_ex.mistake("the decay is multiplied by the learning rate: theta shrinks by the "
                  "factor (1 - lr * weight_decay), not (1 - weight_decay)")
def _adamw_decay_without_lr(theta, g, m, v, t, lr, weight_decay):
    theta = (1 - weight_decay) * theta
    m = BETA1 * m + (1 - BETA1) * g
    v = BETA2 * v + (1 - BETA2) * g ** 2
    m_hat, v_hat = m / (1 - BETA1 ** t), v / (1 - BETA2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + EPS), m, v


# --------------------------------------------------------------------------- clipping
clip_ex = register(
    "ch05.clip_by_global_norm", title="clipping gradients by their global norm",
    instructions="given the gradients dW1, db1, dW2, db2 of a two-layer network and "
                 "max_norm, compute their global norm, the square root of the sum of all "
                 "their squared entries; if it exceeds max_norm, return all four multiplied "
                 "by max_norm / norm, else return them unchanged (a tuple of four arrays)",
    hint="one norm for all four arrays together, np.sqrt(np.sum(dW1 ** 2) + np.sum(db1 ** 2) "
         "+ ...); then one common scale factor, min(1, max_norm / norm)",
    output_names=("dW1", "db1", "dW2", "db2"))


@clip_ex.inputs
def _clip_inputs(rng):
    def grads(d, h, k, scale):
        return (rng.normal(0, scale, size=(d, h)), rng.normal(0, scale, size=h),
                rng.normal(0, scale, size=(h, k)), rng.normal(0, scale, size=k))
    return [(*grads(3, 4, 2, 2.0), 1.0),
            (*grads(2, 5, 3, 1.0), 2.5),
            (*grads(2, 3, 1, 0.01), 1.0),              # already short: unchanged
            (*grads(4, 2, 2, 3.0), 0.5)]


@clip_ex.reference
def _clip_reference(dW1, db1, dW2, db2, max_norm):
    from nnlib.core import Parameter
    from nnlib.optim import clip_grad_norm
    params = []
    for g in (dW1, db1, dW2, db2):
        p = Parameter(np.zeros(np.shape(g)), "W")
        p.grad[...] = g
        params.append(p)
    clip_grad_norm(params, max_norm)
    return tuple(p.grad for p in params)


@clip_ex.solution
def clip_by_global_norm(dW1, db1, dW2, db2, max_norm):
    grads = (dW1, db1, dW2, db2)
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    scale = min(1.0, max_norm / norm)
    return tuple(g * scale for g in grads)


@clip_ex.mistake("each array was clipped by its own norm; clipping by the global norm "
                 "scales all of them by one common factor, so the direction of the whole "
                 "gradient is kept")
def _clip_per_array(dW1, db1, dW2, db2, max_norm):
    return tuple(g * min(1.0, max_norm / np.sqrt(np.sum(g ** 2))) for g in (dW1, db1, dW2, db2))


@clip_ex.mistake("a gradient that is already shorter than max_norm must stay unchanged: "
                 "scale by min(1, max_norm / norm), never up")
def _clip_always_rescale(dW1, db1, dW2, db2, max_norm):
    grads = (dW1, db1, dW2, db2)
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return tuple(g * (max_norm / norm) for g in grads)


# --------------------------------------------------------------------------- cosine decay
cosine_ex = register(
    "ch05.cosine_decay", title="the cosine learning-rate schedule",
    instructions="given an array of (fractional) epochs, lr0, total_epochs T and lr_min, "
                 "return the array of rates lr_min + (lr0 - lr_min) * (1 + cos(pi * e / T)) "
                 "/ 2, with e = min(epoch, T): after T epochs the rate stays at lr_min",
    hint="np.minimum(epochs, total_epochs) keeps the cosine from rising again after T; "
         "the cosine term goes from 1 at e = 0 to 0 at e = T")


@cosine_ex.inputs
def _cosine_inputs(rng):
    return [
        (np.arange(0, 12, 0.5), 0.1, 10.0, 0.0),
        (np.sort(rng.uniform(0, 30, size=15)), 0.3, 20.0, 0.01),
        (np.array([0.0, 1.0, 2.5, 5.0, 7.0]), 1.0, 5.0, 0.1),
    ]


@cosine_ex.reference
def _cosine_reference(epochs, lr0, total_epochs, lr_min):
    from nnlib.schedules import CosineDecay
    schedule = CosineDecay(lr0, total_epochs, lr_min=lr_min)
    return np.array([schedule(float(e)) for e in epochs])


@cosine_ex.solution
def cosine_decay(epochs, lr0, total_epochs, lr_min):
    e = np.minimum(epochs, total_epochs)
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * e / total_epochs))


@cosine_ex.mistake("after total_epochs the cosine rises again: clip the epoch with "
                   "np.minimum(epochs, total_epochs) so that the rate stays at lr_min")
def _cosine_no_clamp(epochs, lr0, total_epochs, lr_min):
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * epochs / total_epochs))


@cosine_ex.mistake("the schedule ends at lr_min, not at 0: lr_min + (lr0 - lr_min) * "
                   "(1 + cos(pi e / T)) / 2")
def _cosine_no_floor(epochs, lr0, total_epochs, lr_min):
    e = np.minimum(epochs, total_epochs)
    return 0.5 * lr0 * (1 + np.cos(np.pi * e / total_epochs))


# --------------------------------------------------------------------------- Lion (build)
lion_ex = register(
    "ch05.lion_step", title="one step of Lion, from its equations",
    instructions="given theta, its gradient g, the moment m, lr, weight_decay, beta1 and "
                 "beta2, return (theta, m) after one step of Lion, from the equations in the "
                 "exercise box (the chapter does not show it)",
    hint="three lines, in the order of the box: the interpolation c uses the OLD m and "
         "beta1; theta moves by lr * (sign(c) + weight_decay * theta); then m is updated "
         "with beta2",
    output_names=("theta", "m"), rtol=1e-9, atol=1e-12)


@lion_ex.inputs
def _lion_inputs(rng):
    cases = []
    for shape, (b1, b2) in [((5,), (0.9, 0.99)), ((3, 4), (0.9, 0.99)),
                            ((6, 2), (0.5, 0.8)), ((2, 3, 2), (0.95, 0.98))]:
        theta, g = rng.normal(0, 1, shape), rng.normal(0, 1, shape)
        m = rng.normal(0, 0.5, shape)
        g.flat[0], m.flat[0] = 0.0, 0.0            # c = 0 there: sign(0) is 0, no step
        cases.append((theta, g, m, float(rng.choice([1e-3, 3e-4])),
                      float(rng.choice([0.1, 1.0])), b1, b2))
    return cases


@lion_ex.reference
def _lion_reference(theta, g, m, lr, weight_decay, beta1, beta2):
    c = beta1 * m + (1.0 - beta1) * g
    new_theta = theta - lr * np.sign(c) - lr * weight_decay * theta
    return new_theta, beta2 * m + (1.0 - beta2) * g


@lion_ex.solution
def lion_step(theta, g, m, lr, weight_decay, beta1, beta2):
    c = beta1 * m + (1 - beta1) * g               # with the moment of the last step
    theta = theta - lr * (np.sign(c) + weight_decay * theta)
    m = beta2 * m + (1 - beta2) * g
    return theta, m


@lion_ex.mistake("the direction is sign(c), the sign of the interpolation "
                 "c = beta1 * m + (1 - beta1) * g, not the sign of the gradient alone")
def _lion_sign_of_g(theta, g, m, lr, weight_decay, beta1, beta2):
    return (theta - lr * (np.sign(g) + weight_decay * theta),
            beta2 * m + (1 - beta2) * g)


@lion_ex.mistake("m was updated before c was computed: c uses the moment of the LAST step, "
                 "m_{t-1}; update m only after the step")
def _lion_m_first(theta, g, m, lr, weight_decay, beta1, beta2):
    m = beta2 * m + (1 - beta2) * g
    c = beta1 * m + (1 - beta1) * g
    return theta - lr * (np.sign(c) + weight_decay * theta), m


@lion_ex.mistake("the stored moment uses beta2, not beta1: Lion interpolates with beta1 for "
                 "the step and averages with beta2 for the memory")
def _lion_one_beta(theta, g, m, lr, weight_decay, beta1, beta2):
    c = beta1 * m + (1 - beta1) * g
    return theta - lr * (np.sign(c) + weight_decay * theta), c


@lion_ex.mistake("the step must be a sign: every coordinate moves by exactly lr (plus the "
                 "decay), whatever the size of c; use np.sign(c)")
def _lion_no_sign(theta, g, m, lr, weight_decay, beta1, beta2):
    c = beta1 * m + (1 - beta1) * g
    return theta - lr * (c + weight_decay * theta), beta2 * m + (1 - beta2) * g


@lion_ex.mistake("the decay is multiplied by the learning rate too: theta moves by "
                 "lr * (sign(c) + weight_decay * theta)")
def _lion_decay_without_lr(theta, g, m, lr, weight_decay, beta1, beta2):
    c = beta1 * m + (1 - beta1) * g
    return (theta - lr * np.sign(c) - weight_decay * theta, beta2 * m + (1 - beta2) * g)


# --------------------------------------------------------------- momentum's limit (investigate)
limit_ex = register(
    "ch05.momentum_max_lr", title="the largest stable rate of momentum on a quadratic",
    instructions="A is a symmetric positive-definite matrix and mu a momentum in [0, 1). "
                 "Return the largest learning rate lr for which gradient descent with "
                 "momentum (v = mu * v + g, theta = theta - lr * v, g = A @ theta) converges "
                 "on f(theta) = theta @ A @ theta / 2 from every start. Find it by experiment "
                 "or by derivation, to 2 %",
    hint="for mu = 0 it is the chapter's 2 / lambda_max. For mu > 0 run the method from a "
         "random start at a rate and see whether |theta| grows; bisect on the rate. Or "
         "write one eigen-direction's recursion, theta_{t+1} = theta_t - lr lambda theta_t "
         "+ mu (theta_t - theta_{t-1}), and find where a root of its characteristic "
         "polynomial crosses -1",
    rtol=0.02, atol=0.0)


def _spd(rng, n, lam_min, lam_max):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.concatenate([[lam_min, lam_max], rng.uniform(lam_min, lam_max, n - 2)])
    return (q * lam) @ q.T


@limit_ex.inputs
def _limit_inputs(rng):
    return [(_spd(rng, 2, 1.0, 10.0), 0.0), (_spd(rng, 3, 0.5, 4.0), 0.9),
            (_spd(rng, 4, 0.1, 50.0), 0.5), (_spd(rng, 5, 2.0, 3.0), 0.7),
            (_spd(rng, 3, 0.01, 1.0), 0.99)]


@limit_ex.reference
def _limit_reference(A, mu):
    # z^2 - (1 + mu - lr lam) z + mu = 0 has a root at -1 when lr lam = 2 (1 + mu)
    return 2.0 * (1.0 + mu) / float(np.linalg.eigvalsh(A).max())


@limit_ex.solution
def momentum_max_lr(A, mu):
    def diverges(lr, steps=2_000):
        theta = np.random.default_rng(0).standard_normal(len(A))
        v = np.zeros_like(theta)
        for _ in range(steps):
            v = mu * v + A @ theta
            theta = theta - lr * v
            if not np.linalg.norm(theta) < 1e6:    # grown far away (or NaN)
                return True
        return np.linalg.norm(theta) > 1.0

    hi = 1.0
    while not diverges(hi):                        # a rate that diverges
        hi *= 2
    lo = 0.0
    for _ in range(20):                            # bisection: lo converges, hi does not
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if diverges(mid) else (mid, hi)
    return (lo + hi) / 2


@limit_ex.mistake("2 / lambda_max is plain gradient descent's limit: momentum changes it. "
                  "Run the method with mu and see where it starts to grow")
def _limit_ignore_mu(A, mu):
    return 2.0 / float(np.linalg.eigvalsh(A).max())


@limit_ex.mistake("the effective rate lr / (1 - mu) suggests 2 (1 - mu) / lambda_max, but "
                  "that is where the steady drift is stable, not the oscillation: momentum "
                  "RAISES the limit. Try rates above 2 / lambda_max")
def _limit_effective_rate(A, mu):
    return 2.0 * (1.0 - mu) / float(np.linalg.eigvalsh(A).max())


@limit_ex.mistake("the limit is set by the steepest direction, the largest eigenvalue of A, "
                  "not the smallest")
def _limit_lambda_min(A, mu):
    return 2.0 * (1.0 + mu) / float(np.linalg.eigvalsh(A).min())


@limit_ex.mistake("the limit is set by the largest eigenvalue of A, not by its largest "
                  "diagonal entry or its trace: A is rotated, so use np.linalg.eigvalsh")
def _limit_diagonal(A, mu):
    return 2.0 * (1.0 + mu) / float(np.diag(A).max())
