"""Optimizers against an independent scalar implementation, written out below.

The references loop over scalars in plain Python floats with the textbook equations, so
they share no code (and no vectorised tricks) with nnlib.optim.
"""

import math

import numpy as np
import pytest

import nnlib
from nnlib import SGD, AdaGrad, Adam, AdamW, RMSProp, clip_grad_norm
from nnlib.core import Parameter

THETA0 = [0.5, -1.25, 2.0, 0.1, -0.3, 0.75]
BIAS0 = [0.2, -0.4]


def grad_fn(theta):
    """Gradient of a fixed non-quadratic function, evaluated per scalar: g_i = f'(theta_i)."""
    return [math.sin(3 * t) + 0.5 * t ** 3 - 0.2 * i for i, t in enumerate(theta)]


# --- scalar references -----------------------------------------------------------------
def ref_sgd(theta, steps, lr, momentum=0.0, nesterov=False, wd=0.0, decay=True):
    theta, v, out = list(theta), [0.0] * len(theta), []
    for _ in range(steps):
        g = grad_fn(theta)
        for i in range(len(theta)):
            gi = g[i] + (wd * theta[i] if decay else 0.0)
            if momentum == 0:
                theta[i] -= lr * gi
            else:
                v[i] = momentum * v[i] + gi
                theta[i] -= lr * (gi + momentum * v[i]) if nesterov else lr * v[i]
        out.append(list(theta))
    return out


def ref_adagrad(theta, steps, lr, eps=1e-8):
    theta, G, out = list(theta), [0.0] * len(theta), []
    for _ in range(steps):
        g = grad_fn(theta)
        for i in range(len(theta)):
            G[i] += g[i] ** 2
            theta[i] -= lr * g[i] / (math.sqrt(G[i]) + eps)
        out.append(list(theta))
    return out


def ref_rmsprop(theta, steps, lr, rho=0.9, eps=1e-8):
    theta, s, out = list(theta), [0.0] * len(theta), []
    for _ in range(steps):
        g = grad_fn(theta)
        for i in range(len(theta)):
            s[i] = rho * s[i] + (1 - rho) * g[i] ** 2
            theta[i] -= lr * g[i] / (math.sqrt(s[i]) + eps)
        out.append(list(theta))
    return out


def ref_adam(theta, steps, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=0.0,
             correct=True, decay=True):
    theta, m, v, out = list(theta), [0.0] * len(theta), [0.0] * len(theta), []
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        for i in range(len(theta)):
            if decay:
                theta[i] -= lr * decoupled * theta[i]
            gi = g[i] + (wd * theta[i] if decay else 0.0)
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            mh = m[i] / (1 - b1 ** t) if correct else m[i]
            vh = v[i] / (1 - b2 ** t) if correct else v[i]
            theta[i] -= lr * mh / (math.sqrt(vh) + eps)
        out.append(list(theta))
    return out


# Each case: nnlib optimizer factory, scalar reference for the weights, and for the biases
# (weight decay never applies to biases).
CASES = {
    "sgd": (lambda p: SGD(p, lr=0.1), lambda th, d: ref_sgd(th, 3, 0.1)),
    "sgd-wd": (lambda p: SGD(p, lr=0.1, weight_decay=0.05),
               lambda th, d: ref_sgd(th, 3, 0.1, wd=0.05, decay=d)),
    "momentum": (lambda p: SGD(p, lr=0.1, momentum=0.9),
                 lambda th, d: ref_sgd(th, 3, 0.1, momentum=0.9)),
    "nesterov": (lambda p: SGD(p, lr=0.1, momentum=0.8, nesterov=True),
                 lambda th, d: ref_sgd(th, 3, 0.1, momentum=0.8, nesterov=True)),
    "nesterov-wd": (lambda p: SGD(p, lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1),
                    lambda th, d: ref_sgd(th, 3, 0.1, momentum=0.8, nesterov=True, wd=0.1,
                                          decay=d)),
    "adagrad": (lambda p: AdaGrad(p, lr=0.3), lambda th, d: ref_adagrad(th, 3, 0.3)),
    "adagrad-eps": (lambda p: AdaGrad(p, lr=0.3, eps=0.5),
                    lambda th, d: ref_adagrad(th, 3, 0.3, eps=0.5)),
    "rmsprop": (lambda p: RMSProp(p, lr=0.01), lambda th, d: ref_rmsprop(th, 3, 0.01)),
    "rmsprop-rho": (lambda p: RMSProp(p, lr=0.01, rho=0.5, eps=1e-3),
                    lambda th, d: ref_rmsprop(th, 3, 0.01, rho=0.5, eps=1e-3)),
    "adam": (lambda p: Adam(p, lr=0.01), lambda th, d: ref_adam(th, 3, 0.01)),
    "adam-betas": (lambda p: Adam(p, lr=0.05, betas=(0.5, 0.9), eps=1e-3),
                   lambda th, d: ref_adam(th, 3, 0.05, b1=0.5, b2=0.9, eps=1e-3)),
    "adam-no-bias-correction": (lambda p: Adam(p, lr=0.01, bias_correction=False),
                                lambda th, d: ref_adam(th, 3, 0.01, correct=False)),
    "adam-l2": (lambda p: Adam(p, lr=0.01, weight_decay=0.1),
                lambda th, d: ref_adam(th, 3, 0.01, wd=0.1, decay=d)),
    "adamw": (lambda p: AdamW(p, lr=0.01, weight_decay=0.1),
              lambda th, d: ref_adam(th, 3, 0.01, decoupled=0.1, decay=d)),
}


@pytest.mark.parametrize("name", CASES)
def test_first_three_steps_match_scalar_reference(name):
    make, ref = CASES[name]
    W = Parameter(np.array(THETA0).reshape(2, 3), "W")
    b = Parameter(np.array(BIAS0), "b")
    opt = make([W, b])
    expected_W = ref(THETA0, True)
    expected_b = ref(BIAS0, False)
    for step in range(3):
        W.grad[...] = np.array(grad_fn(list(W.value.ravel()))).reshape(2, 3)
        b.grad[...] = np.array(grad_fn(list(b.value)))
        opt.step()
        np.testing.assert_allclose(W.value.ravel(), expected_W[step], rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.value, expected_b[step], rtol=0, atol=1e-12)


def test_bias_correction_matters_in_first_steps():
    """Without bias correction the first Adam step is far smaller: (1-b1)/sqrt(1-b2) ~ 3.2x."""
    def first_step(correct):
        p = Parameter(np.array([1.0]), "W")
        p.grad[...] = 0.5
        Adam([p], lr=0.1, bias_correction=correct).step()
        return 1.0 - p.value[0]
    assert first_step(True) == pytest.approx(0.1, rel=1e-6)          # |step| = lr at t = 1
    assert first_step(False) == pytest.approx(0.1 * 0.1 / math.sqrt(0.001), rel=1e-4)


@pytest.mark.parametrize("name", CASES)
def test_each_optimizer_decreases_a_convex_quadratic(name):
    """f(theta) = 1/2 theta^T A theta with A positive definite (condition number 10)."""
    A = np.diag([1.0, 10.0])
    p = Parameter(np.array([[3.0, -2.0]]), "W")
    opt = CASES[name][0]([p])
    opt.lr = min(opt.lr, 0.05) if isinstance(opt, SGD) else opt.lr
    f0 = 0.5 * p.value @ A @ p.value.T
    for _ in range(200):
        p.grad[...] = p.value @ A
        opt.step()
    f = 0.5 * p.value @ A @ p.value.T
    assert f.item() < 0.5 * f0.item()


def test_clip_grad_norm_scales_globally():
    a, b = Parameter(np.zeros(2), "W"), Parameter(np.zeros(1), "b")
    a.grad[...] = [3.0, 0.0]
    b.grad[...] = [4.0]
    norm = clip_grad_norm([a, b], 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), [0.6, 0.0, 0.8], rtol=1e-6)
    assert clip_grad_norm([a, b], 10.0) == pytest.approx(1.0, rel=1e-5)   # no change below
    np.testing.assert_allclose(a.grad, [0.6, 0.0], rtol=1e-6)


def test_optimizer_step_allocates_nothing_new_for_state():
    p = Parameter(np.ones((3, 3), np.float32), "W")
    p.grad[...] = 0.1
    opt = Adam([p], lr=0.01, weight_decay=0.1)
    ids = [id(x) for x in (opt.m[0], opt.v[0], p.value)]
    opt.step()
    assert ids == [id(x) for x in (opt.m[0], opt.v[0], p.value)]
    assert p.value.dtype == opt.m[0].dtype == opt.v[0].dtype == np.float32


@pytest.mark.parametrize("call,words", [
    (lambda p: SGD(p, lr=-0.1), "lr"),
    (lambda p: SGD(p, lr=0.1, momentum=1.5), "momentum"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov"),
    (lambda p: Adam(p, betas=(0.9,)), "betas"),
    (lambda p: RMSProp(p, rho=1.0), "rho"),
    (lambda p: AdaGrad([], lr=0.1), "params"),
    (lambda p: Adam([np.zeros(3)]), "Parameter"),
    (lambda p: clip_grad_norm(p, -1), "max_norm"),
])
def test_optimizer_bad_arguments(call, words):
    p = [Parameter(np.zeros(2), "W")]
    with pytest.raises((ValueError, TypeError)) as info:
        call(p)
    assert words in str(info.value)


@pytest.mark.parametrize("make", [
    lambda ps: Adam(ps, lr=1e-3),
    lambda ps: AdamW(ps, lr=1e-3),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: SGD(ps, lr=0.1, momentum=0.5, nesterov=True),
    lambda ps: RMSProp(ps, lr=1e-3, rho=0.9),
])
def test_decaying_state_never_becomes_subnormal(make):
    """A gradient that becomes exactly 0 (a never-inked pixel, a dead unit) makes the state
    decay geometrically; it must be flushed to 0 before it reaches subnormal floats (slow)."""
    p = Parameter(np.ones((4, 3), dtype=np.float32))
    opt = make([p])
    p.grad[...] = 0.5
    opt.step()
    p.grad[...] = 0.0
    tiny = np.finfo(np.float32).tiny
    for _ in range(3000):
        opt.step()
        for name in ("m", "v", "velocity", "s"):
            for buf in getattr(opt, name, []):
                assert not np.any((buf != 0) & (np.abs(buf) < tiny)), (name, opt.t)
    states = [b for name in ("m", "velocity", "s") for b in getattr(opt, name, [])]
    assert states and all(np.all(b == 0) for b in states)     # flushed, not left at 1e-45


def test_flushing_does_not_change_steps_of_normal_size():
    """Above the threshold (1e-28 in float32) the state is untouched: same values as Adam
    without any flushing, step for step."""
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((500, 6))
    p1, p2 = (Parameter(np.zeros(6)) for _ in range(2))
    a, b = Adam([p1], lr=1e-2), Adam([p2], lr=1e-2)
    b._flush_every = {}                                       # the same Adam, never flushing
    for g in grads:
        p1.grad[...] = p2.grad[...] = g
        a.step()
        b.step()
    np.testing.assert_array_equal(p1.value, p2.value)
    np.testing.assert_array_equal(a.m[0], b.m[0])


# ------------------------------------------------------------------ the flat parameter buffer
def _two_layer_params(dtype=np.float64):
    rng = np.random.default_rng(3)
    return [Parameter(rng.standard_normal((4, 3)).astype(dtype), "W"),
            Parameter(rng.standard_normal(3).astype(dtype), "b"),
            Parameter(rng.standard_normal((3, 2)).astype(dtype), "W"),
            Parameter(rng.standard_normal(2).astype(dtype), "b")]


def test_parameters_become_views_into_one_flat_buffer_weights_first():
    params = _two_layer_params()
    before = [p.value.copy() for p in params]
    opt = SGD(params, lr=0.1)
    (group,) = opt.groups
    assert group.n_weights == 4 * 3 + 3 * 2
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.value, b)                # values kept
        assert np.shares_memory(p.value, group.value) and np.shares_memory(p.grad, group.grad)
    assert np.shares_memory(params[0].value, group.value[:12])
    assert np.shares_memory(params[2].value, group.value[12:18])   # weights first
    assert np.shares_memory(params[1].value, group.value[18:21])


def test_coupled_weight_decay_touches_weights_only_and_leaves_grads_alone():
    params = _two_layer_params()
    opt = SGD(params, lr=0.1, weight_decay=0.5)
    for p in params:
        p.grad[...] = 1.0
    before = [p.value.copy() for p in params]
    opt.step()
    for p, b in zip(params, before):
        expected = b - 0.1 * (1.0 + (0.5 * b if p.name == "W" else 0.0))
        np.testing.assert_allclose(p.value, expected, rtol=1e-15)
        np.testing.assert_array_equal(p.grad, 1.0)               # the gradient is not modified


def test_rebound_parameter_is_adopted_again_with_its_state():
    params = _two_layer_params()
    ref = _two_layer_params()
    a, b = Adam(params, lr=0.01), Adam(ref, lr=0.01)
    rng = np.random.default_rng(0)
    for step in range(6):
        grads = [rng.standard_normal(p.value.shape) for p in params]
        if step == 3:            # rebind by hand: a new array, same values
            params[0].value = params[0].value.copy()
            params[1].grad = params[1].grad.copy()
        for p, q, g in zip(params, ref, grads):
            p.grad[...] = g
            q.grad[...] = g
        a.step()
        b.step()
    for p, q in zip(params, ref):
        np.testing.assert_array_equal(p.value, q.value)
    for x, y in zip(a.m + a.v, b.m + b.v):
        np.testing.assert_array_equal(x, y)


def test_module_astype_after_optimizer_keeps_training():
    model = nnlib.Sequential(nnlib.Dense(3, 2, seed=0))
    opt = Adam(model.parameters(), lr=0.1)
    model.astype(np.float32)
    for p in model.parameters():
        p.grad[...] = 1.0
    before = [p.value.copy() for p in model.parameters()]
    opt.step()
    for p, b in zip(model.parameters(), before):
        assert p.value.dtype == np.float32
        np.testing.assert_allclose(p.value, b - 0.1, rtol=1e-5)


def test_mixed_dtypes_get_one_group_each():
    p32 = Parameter(np.ones(3, np.float32), "W")
    p64 = Parameter(np.ones(2, np.float64), "b")
    opt = Adam([p32, p64], lr=0.1)
    assert sorted(g.dtype.name for g in opt.groups) == ["float32", "float64"]
    p32.grad[...] = 1
    p64.grad[...] = 1
    opt.step()
    assert p32.value.dtype == np.float32 and p64.value.dtype == np.float64
    np.testing.assert_allclose(p32.value, 0.9, rtol=1e-6)
    np.testing.assert_allclose(p64.value, 0.9, rtol=1e-8)


@pytest.mark.parametrize("make", [SGD, AdaGrad, RMSProp, Adam, AdamW])
def test_the_same_parameter_twice_is_refused(make):
    p = Parameter(np.zeros(2), "W")
    with pytest.raises(ValueError, match="more than once"):
        make([p, p], lr=0.1)


def test_adamw_across_chunks_matches_the_equations():
    """The flat buffer is updated in chunks (nnlib.flat.CHUNK): a weight larger than a chunk,
    then a bias, must get exactly Adam's equations, the decoupled decay on the weight only."""
    from nnlib.flat import CHUNK
    rng = np.random.default_rng(1)
    W = Parameter(rng.standard_normal((3, CHUNK // 2 + 7)), "W")
    b = Parameter(rng.standard_normal(5), "b")
    lr, wd, b1, b2, eps = 0.01, 0.1, 0.9, 0.999, 1e-8
    opt = AdamW([b, W], lr=lr, weight_decay=wd)
    assert len(opt.groups[0].chunks) == 2
    ref = {"W": W.value.copy(), "b": b.value.copy()}
    m = {k: np.zeros_like(v) for k, v in ref.items()}
    v = {k: np.zeros_like(x) for k, x in ref.items()}
    for t in range(1, 4):
        grads = {"W": rng.standard_normal(W.value.shape), "b": rng.standard_normal(5)}
        W.grad[...], b.grad[...] = grads["W"], grads["b"]
        opt.step()
        for k, g in grads.items():
            if k == "W":
                ref[k] = ref[k] * (1 - lr * wd)
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g ** 2
            m_hat, v_hat = m[k] / (1 - b1 ** t), v[k] / (1 - b2 ** t)
            ref[k] = ref[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(W.value, ref["W"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.value, ref["b"], rtol=1e-12, atol=1e-14)
