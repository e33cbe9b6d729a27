"""Core modules: gradient checks in float64, stability, dropout, and clear errors."""

import numpy as np
import pytest

import nnlib
from nnlib import (
    BinaryCrossEntropy,
    Dense,
    Dropout,
    LeakyReLU,
    MeanSquaredError,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    Tanh,
    check_loss,
    check_module,
)
from nnlib.init import INITIALIZERS, initialize

TOL = 1e-7


def away_from_kink(shape, rng, margin=0.05):
    """Random inputs with |x| > margin, so ReLU-type kinks are never crossed by eps."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin * 2, x)


@pytest.mark.parametrize("module", [
    ReLU(), LeakyReLU(0.1), Sigmoid(), Tanh(), Softmax(), nnlib.Identity()],
    ids=lambda m: repr(m))
def test_activation_gradients(module):
    x = away_from_kink((5, 4), np.random.default_rng(0))
    result = check_module(module, x)
    assert result.passed, result


@pytest.mark.parametrize("init", ["he_normal", "he_uniform", "xavier_normal", "xavier_uniform"])
def test_dense_gradients(init):
    layer = Dense(4, 3, init=init, seed=1, dtype=np.float64)
    layer.b.value[:] = np.random.default_rng(2).standard_normal(3)
    result = check_module(layer, np.random.default_rng(3).standard_normal((6, 4)))
    assert result.passed, result
    assert set(result.errors) == {"input", "W", "b"}


@pytest.mark.parametrize("act", [ReLU, Tanh, Sigmoid, lambda: LeakyReLU(0.2)])
def test_sequential_mlp_gradients(act):
    model = Sequential(Dense(5, 7, seed=0, dtype=np.float64), act(),
                       Dense(7, 6, seed=1, dtype=np.float64), act(),
                       Dense(6, 3, seed=2, dtype=np.float64))
    x = np.random.default_rng(4).standard_normal((8, 5))
    result = check_module(model, x)
    assert result.passed, result
    assert len(result.errors) == 1 + 6          # input + three W and three b


def test_dropout_gradient_with_fixed_mask():
    class FrozenDropout(Dropout):          # same mask on every forward, for the check
        def forward(self, x):
            self.rng = np.random.default_rng(7)
            return super().forward(x)
    result = check_module(FrozenDropout(0.3), np.random.default_rng(0).standard_normal((6, 5)))
    assert result.passed, result


@pytest.mark.parametrize("loss,target", [
    (SoftmaxCrossEntropy(), np.array([0, 2, 1, 2, 0])),
    (BinaryCrossEntropy(), np.array([0, 1, 1, 0, 1])),
    (MeanSquaredError(), None),
])
def test_loss_gradients(loss, target):
    rng = np.random.default_rng(5)
    if isinstance(loss, BinaryCrossEntropy):
        z = rng.standard_normal((5, 1)) * 3
    else:
        z = rng.standard_normal((5, 3)) * 3
    if target is None:
        target = rng.standard_normal((5, 3))
    result = check_loss(loss, z, target)
    assert result.passed, result


def test_float64_parameters_keep_float64():
    model = Sequential(Dense(3, 4, dtype=np.float64), ReLU(), Dense(4, 2, dtype=np.float64))
    out = model.forward(np.ones((2, 3)))
    assert out.dtype == np.float64
    model32 = Sequential(Dense(3, 4), ReLU(), Dense(4, 2))
    assert model32.forward(np.ones((2, 3), np.float32)).dtype == np.float32
    assert model32.astype(np.float64).forward(np.ones((2, 3))).dtype == np.float64


def test_sequential_backward_without_input_grad_skips_first_product():
    model = Sequential(Dense(3, 4, seed=0), ReLU(), Dense(4, 2, seed=1))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    g = np.ones((5, 2), np.float32)
    model.forward(x)
    dx = model.backward(g)
    grads = [p.grad.copy() for p in model.parameters()]
    model.forward(x)
    assert model.backward(g, need_input_grad=False) is None
    for before, p in zip(grads, model.parameters()):
        np.testing.assert_array_equal(before, p.grad)
    assert dx.shape == x.shape


# --- gradcheck must catch broken backward passes ---------------------------------------
class DoubledDense(Dense):
    def backward(self, grad_out, need_input_grad=True):
        dx = super().backward(grad_out)
        self.W.grad *= 2
        return dx


class NoTransposeDense(Dense):
    def backward(self, grad_out, need_input_grad=True):
        super().backward(grad_out)
        return grad_out @ self.W.value            # forgot the transpose (square W)


class WrongAxisDense(Dense):
    def backward(self, grad_out, need_input_grad=True):
        dx = super().backward(grad_out)
        self.b.grad = grad_out.sum(axis=1)        # summed over features, not the batch
        return dx


class NoDerivativeSigmoid(Sigmoid):
    def backward(self, grad_out, need_input_grad=True):
        return grad_out                           # dropped sigma'(x)


@pytest.mark.parametrize("broken", [
    DoubledDense(4, 4, seed=0, dtype=np.float64),
    NoTransposeDense(4, 4, seed=0, dtype=np.float64),
    WrongAxisDense(4, 4, seed=0, dtype=np.float64),
    Sequential(Dense(4, 4, seed=0, dtype=np.float64), NoDerivativeSigmoid(),
               Dense(4, 2, seed=1, dtype=np.float64)),
], ids=["doubled", "missing-transpose", "wrong-axis", "dropped-derivative"])
def test_gradcheck_catches_broken_backward(broken):
    x = np.random.default_rng(1).standard_normal((4, 4))   # N == n_out: shapes still fit
    result = check_module(broken, x)
    assert not result.passed
    assert result.max_error > 1e-3


def test_gradcheck_does_not_modify_input():
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    check_module(Dense(4, 2, dtype=np.float64), x)
    np.testing.assert_array_equal(x, before)


# --- numerical stability -----------------------------------------------------------------
def test_softmax_cross_entropy_extreme_logits():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(z, np.array([1, 0]))
    grad = loss.backward()
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert value == pytest.approx((2e4 + 2e4 + np.log(2)) / 2)
    for dtype in (np.float32, np.float64):
        z2 = z.astype(dtype)
        assert np.isfinite(loss.forward(z2, np.array([0, 1])))
        assert np.isfinite(loss.backward()).all()


def test_binary_cross_entropy_extreme_logits():
    z = np.array([1e4, -1e4, 1e4, -1e4])
    loss = BinaryCrossEntropy()
    value = loss.forward(z, np.array([1, 0, 0, 1]))
    grad = loss.backward()
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert value == pytest.approx(1e4 / 2)
    np.testing.assert_allclose(grad, [0, 0, 0.25, -0.25])


def test_sigmoid_stable_and_exact():
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = nnlib.sigmoid(x)
    np.testing.assert_allclose(y, [0, 1.9287498479639178e-22, 0.5, 1, 1])


def test_softmax_rows_sum_to_one_with_large_logits():
    s = nnlib.softmax(np.array([[1000.0, 1001.0, 1002.0]]))
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    np.testing.assert_allclose(s, nnlib.softmax(np.array([[0.0, 1.0, 2.0]])))


# --- dropout -----------------------------------------------------------------------------
def test_dropout_expectation_and_kept_fraction():
    p = 0.3
    drop = Dropout(p, seed=0)
    x = np.ones((1000, 200), np.float32)
    out = drop.forward(x)
    kept = (out != 0).mean()
    assert abs(kept - (1 - p)) < 0.005                    # 200k draws: std ~ 0.001
    assert np.allclose(out[out != 0], 1 / (1 - p))        # inverted scaling
    assert abs(out.mean() - 1.0) < 0.01                   # E[out] = x


def test_dropout_eval_is_identity_and_seed_reproducible():
    x = np.random.default_rng(0).standard_normal((20, 10)).astype(np.float32)
    drop = Dropout(0.5, seed=3).eval()
    np.testing.assert_array_equal(drop.forward(x), x)
    np.testing.assert_array_equal(drop.backward(x), x)
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert not np.array_equal(a.forward(x), Dropout(0.5, seed=4).forward(x))


def test_train_eval_propagate():
    model = Sequential(Dense(2, 2), Dropout(0.5), ReLU())
    model.eval()
    assert not any(m.training for m in model.layers)
    model.train()
    assert all(m.training for m in model.layers)


# --- initialisers ------------------------------------------------------------------------
@pytest.mark.parametrize("name,var", [
    ("he_normal", 2 / 400), ("he_uniform", 2 / 400),
    ("xavier_normal", 2 / 600), ("xavier_uniform", 2 / 600)])
def test_initialiser_variance(name, var):
    W = initialize(name, 400, 200, rng=0)
    assert W.shape == (400, 200) and W.dtype == np.float32
    assert abs(W.var() / var - 1) < 0.03
    np.testing.assert_array_equal(W, initialize(name, 400, 200, rng=0))


def test_initialiser_registry_and_zero_grad():
    assert "zeros" in INITIALIZERS
    layer = Dense(3, 2)
    layer.W.grad += 1
    layer.zero_grad()
    assert not layer.W.grad.any()
    assert [n for n, _ in Sequential(Dense(2, 3), ReLU(), Dense(3, 1)).named_parameters()] == \
        ["0.W", "0.b", "2.W", "2.b"]


# --- bad inputs: clear ValueErrors, caller's arrays untouched ----------------------------
X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)


def with_nan(a):
    a = a.copy()
    a[1, 1] = np.nan
    return a


def with_inf(a):
    a = a.copy()
    a[0, 2] = np.inf
    return a


BAD_INPUTS = [
    ("dense-wrong-columns", lambda: Dense(5, 2).forward(X), "5 columns"),
    ("dense-1d", lambda: Dense(3, 2).forward(X[0]), "2-D"),
    ("dense-int-dtype", lambda: Dense(3, 2).forward(np.ones((2, 3), dtype=np.int64)), "dtype"),
    ("dense-string-dtype", lambda: Dense(3, 2).forward(np.array([["a", "b", "c"]])), "dtype"),
    ("dense-nan", lambda: Dense(3, 2).forward(with_nan(X)), "NaN"),
    ("relu-inf", lambda: ReLU().forward(with_inf(X)), "infinite"),
    ("dense-empty", lambda: Dense(3, 2).forward(np.zeros((0, 3), np.float32)), "empty"),
    ("dense-bad-size", lambda: Dense(0, 2), "n_in"),
    ("dense-bad-init", lambda: Dense(3, 2, init="lecun_magic"), "init"),
    ("ce-label-too-big", lambda: SoftmaxCrossEntropy().forward(X, np.array([0, 1, 3, 2])), "y"),
    ("ce-label-negative", lambda: SoftmaxCrossEntropy().forward(X, np.array([0, -1, 1, 2])), "y"),
    ("ce-float-labels", lambda: SoftmaxCrossEntropy().forward(X, np.array([0.0, 1.5, 1, 2])),
     "integer"),
    ("ce-label-count", lambda: SoftmaxCrossEntropy().forward(X, np.array([0, 1])), "4 rows"),
    ("ce-one-hot", lambda: SoftmaxCrossEntropy().forward(X, np.eye(3)[[0, 1, 2, 0]].astype(int)),
     "1-D"),
    ("bce-target-range", lambda: BinaryCrossEntropy().forward(X[:, :1], np.array([0, 1, 2, 1])),
     "[0, 1]"),
    ("bce-two-columns", lambda: BinaryCrossEntropy().forward(X[:, :2], np.array([0, 1, 1, 1])),
     "(N, 1)"),
    ("mse-shape", lambda: MeanSquaredError().forward(X, np.zeros((4, 2))), "shape"),
    ("dropout-p-one", lambda: Dropout(1.0), "p"),
    ("dropout-p-negative", lambda: Dropout(-0.1), "p"),
    ("leaky-slope", lambda: LeakyReLU(-1), "negative_slope"),
    ("softmax-1d", lambda: Softmax().forward(X[0]), "2-D"),
    ("sequential-non-module", lambda: Sequential(Dense(3, 2), np.tanh), "Module"),
]


@pytest.mark.parametrize("name,call,words", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_inputs_raise_clear_errors(name, call, words):
    before = X.copy()
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert words in str(info.value), str(info.value)
    np.testing.assert_array_equal(X, before)


def test_forward_does_not_mutate_inputs():
    x = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    before = x.copy()
    model = Sequential(Dense(3, 4, seed=0), ReLU(), Dropout(0.5, seed=0), Dense(4, 3, seed=1),
                       Tanh(), Sigmoid(), LeakyReLU(), Softmax())
    out = model.forward(x)
    model.backward(np.ones_like(out))
    loss = SoftmaxCrossEntropy()
    y = np.array([0, 1, 2, 0, 1, 2])
    y_before = y.copy()
    loss.forward(x, y)
    loss.backward()
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(y, y_before)
