"""BatchNorm, LayerNorm and Residual: gradients, modes, running statistics, state on disk."""

import numpy as np
import pytest

import nnlib
from nnlib import BatchNorm, Dense, LayerNorm, ReLU, Residual, Sequential, Tanh
from nnlib.gradcheck import check_module


def _x(shape, seed=3, scale=3.0, shift=1.5):
    # seed 3, not 0: check_module projects with standard_normal(seed 0), and data drawn from
    # the same stream would make the projection an affine map of x, which BatchNorm removes
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def _randomise(module, seed=1):
    """Non-trivial gamma and beta (they start at 1 and 0, which hides some bugs)."""
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.value[...] = rng.standard_normal(p.shape)
    return module


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(shape, training):
    bn = _randomise(BatchNorm(shape[1], dtype=np.float64))
    bn.running_mean[...] = np.arange(shape[1]) * 0.3
    bn.running_var[...] = 1.0 + np.arange(shape[1])
    bn.train(training)
    result = check_module(bn, _x(shape))
    assert result.passed, result
    assert max(result.errors.values()) < 1e-7


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 4)])
def test_layernorm_gradients(shape):
    ln = _randomise(LayerNorm(shape[-1], dtype=np.float64))
    result = check_module(ln, _x(shape))
    assert result.passed and max(result.errors.values()) < 1e-7, result


def test_batchnorm_input_gradient_is_the_coupled_one():
    # The per-element formula G * gamma / std (forgetting that every input moves the mean and
    # the variance) is the classic wrong backward; the coupled gradient sums to 0 per feature.
    bn = _randomise(BatchNorm(4, eps=1e-12, dtype=np.float64))   # the identities need eps -> 0
    x = _x((10, 4))
    bn.forward(x)
    G = np.random.default_rng(2).standard_normal((10, 4))
    dx = bn.backward(G)
    naive = G * bn.gamma.value / np.sqrt(x.var(axis=0) + bn.eps)
    assert not np.allclose(dx, naive, atol=1e-3)
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-12)
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + bn.eps)
    np.testing.assert_allclose((dx * x_hat).sum(axis=0), 0, atol=1e-12)


@pytest.mark.parametrize("inner", [
    lambda: Dense(5, 5, seed=0, dtype=np.float64),
    lambda: Sequential(Dense(5, 5, seed=0, dtype=np.float64), Tanh(),
                       Dense(5, 5, seed=1, dtype=np.float64)),
    lambda: Sequential(BatchNorm(5, dtype=np.float64), ReLU(),
                       Dense(5, 5, seed=1, dtype=np.float64)),
])
def test_residual_gradients(inner):
    block = Residual(inner())
    result = check_module(block, _x((7, 5), shift=0.2))
    assert result.passed and max(result.errors.values()) < 1e-7, result


def test_residual_adds_the_identity_to_the_input_gradient():
    dense = Dense(3, 3, seed=0, dtype=np.float64)
    block = Residual(dense)
    x = _x((4, 3))
    np.testing.assert_array_equal(block.forward(x), x + dense.forward(x))
    G = np.ones((4, 3))
    np.testing.assert_allclose(block.backward(G), G + G @ dense.W.value.T, rtol=1e-15)
    # the first layer of a network: the inner module still gets its parameter gradients
    dense.W.grad[...] = 0
    assert block.backward(G, need_input_grad=False) is None
    np.testing.assert_allclose(dense.W.grad, x.T @ G)


# --------------------------------------------------------------------------- forward and modes
def test_batchnorm_standardises_each_feature_in_training_mode():
    x = _x((64, 3, 5, 5))
    y = BatchNorm(3, dtype=np.float64).forward(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-4)     # eps = 1e-5


def test_batchnorm_running_statistics_follow_the_formula():
    bn = BatchNorm(2, momentum=0.25, dtype=np.float64)
    x1, x2 = _x((5, 2), seed=1), _x((5, 2), seed=2)
    bn.forward(x1)
    bn.forward(x2)
    mean, var = np.zeros(2), np.ones(2)
    for x in (x1, x2):
        mean = 0.75 * mean + 0.25 * x.mean(axis=0)
        var = 0.75 * var + 0.25 * x.var(axis=0, ddof=1)          # unbiased, as PyTorch
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-14)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-14)


def test_batchnorm_eval_uses_the_running_statistics_and_leaves_them_alone():
    bn = _randomise(BatchNorm(3, dtype=np.float64))
    for seed in range(5):
        bn.forward(_x((16, 3), seed=seed))
    rm, rv = bn.running_mean.copy(), bn.running_var.copy()
    bn.eval()
    x = _x((4, 3), seed=9)
    y = bn.forward(x)
    expected = (x - rm) / np.sqrt(rv + bn.eps) * bn.gamma.value + bn.beta.value
    np.testing.assert_allclose(y, expected, rtol=1e-13)
    np.testing.assert_array_equal(bn.running_mean, rm)
    np.testing.assert_array_equal(bn.running_var, rv)
    # in eval mode a sample's output does not depend on the rest of its batch ...
    np.testing.assert_allclose(bn.forward(x[:1]), y[:1], rtol=1e-13)
    # ... in training mode it does (the classic bug of evaluating in training mode)
    bn.train()
    assert not np.allclose(bn.forward(x[:2])[0], bn.forward(x)[0])


def test_layernorm_standardises_each_sample_and_is_the_same_in_both_modes():
    ln = LayerNorm(6, dtype=np.float64)
    x = _x((4, 6))
    y = ln.forward(x)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-4)
    np.testing.assert_array_equal(ln.eval().forward(x), y)
    np.testing.assert_allclose(ln.forward(x[:1]), y[:1], rtol=1e-14)


def test_float32_by_default_and_astype_converts_the_running_statistics():
    model = Sequential(Dense(4, 3, seed=0), BatchNorm(3), ReLU())
    y = model.forward(_x((8, 4)).astype(np.float32))
    assert y.dtype == np.float32 and model[1].running_var.dtype == np.float32
    model.astype(np.float64)
    assert model[1].running_mean.dtype == np.float64 and model[1].gamma.dtype == np.float64
    assert model.forward(_x((8, 4))).dtype == np.float64


# --------------------------------------------------------------------------- state on disk
def _trained_bn_model(seed=0):
    model = Sequential(Dense(4, 6, seed=seed), BatchNorm(6), ReLU(), Dense(6, 3, seed=seed + 1))
    for s in range(3):
        model.forward(_x((10, 4), seed=s).astype(np.float32))
    return model


def test_save_and_load_restore_the_running_statistics_bit_identically(tmp_path):
    model = _trained_bn_model()
    path = tmp_path / "bn.npz"
    nnlib.save_parameters(model, path)
    fresh = Sequential(Dense(4, 6, seed=5), BatchNorm(6), ReLU(), Dense(6, 3, seed=6))
    assert not np.array_equal(fresh[1].running_mean, model[1].running_mean)
    nnlib.load_parameters(fresh, path)
    for name in ("running_mean", "running_var"):
        assert getattr(fresh[1], name).tobytes() == getattr(model[1], name).tobytes()
    x = _x((5, 4), seed=7).astype(np.float32)
    assert fresh.eval().forward(x).tobytes() == model.eval().forward(x).tobytes()
    with np.load(path) as data:
        assert {"state:1.running_mean", "state:1.running_var", "1.gamma", "1.beta"} <= set(data)


def test_early_stopping_restores_the_running_statistics_of_the_best_epoch():
    from nnlib.training import _model_arrays
    model = _trained_bn_model()
    stopper = nnlib.EarlyStopping(monitor="train_loss", patience=5)
    stopper.on_train_begin(model)

    class H:
        train_loss = [1.0]
    stopper.on_epoch_end(0, H, model)                     # the best epoch
    best = [a.copy() for a in _model_arrays(model)]
    model.forward(_x((10, 4), seed=11).astype(np.float32) * 5)   # moves the running stats
    H.train_loss = [1.0, 2.0]
    stopper.on_epoch_end(1, H, model)
    stopper.on_train_end(model, type("Hist", (), {})())
    assert all(np.array_equal(a, b) for a, b in zip(_model_arrays(model), best))


def test_fit_trains_a_network_with_batch_norm_and_residual_blocks():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)              # XOR of the signs
    model = Sequential(Dense(2, 16, seed=0), BatchNorm(16), ReLU(),
                       Residual(Sequential(Dense(16, 16, seed=1), BatchNorm(16), ReLU())),
                       Dense(16, 2, seed=2))
    history = nnlib.fit(model, X, y, epochs=30, batch_size=32, lr=0.01, seed=0,
                        progress=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert model[1].running_var.min() > 0 and np.any(model[1].running_mean != 0)
    # evaluate() switches to eval mode (running statistics): 0.97 measured, where the
    # training-mode accuracy of the last epoch, with each batch's own statistics, was 0.88
    assert nnlib.evaluate(model, X, y)[1] > 0.95
    assert model.training                                   # fit leaves it in training mode


def test_a_diverging_epoch_rolls_back_the_running_statistics_too():
    from nnlib.training import _Snapshot
    model = _trained_bn_model()
    opt = nnlib.SGD(model.parameters(), lr=0.1)
    snap = _Snapshot(model, opt)
    before = model[1].running_mean.copy()
    model.forward(_x((10, 4), seed=3).astype(np.float32) * 10)
    assert not np.array_equal(model[1].running_mean, before)
    snap.restore()
    np.testing.assert_array_equal(model[1].running_mean, before)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, x, match", [
    (lambda: BatchNorm(3), np.zeros((4, 2)), "3 features on axis 1"),
    (lambda: BatchNorm(3), np.zeros((1, 3)), "at least 2 values per feature"),
    (lambda: BatchNorm(3), np.zeros((4, 3, 2)), "2 or 4-D"),
    (lambda: BatchNorm(2), np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN|finite"),
    (lambda: LayerNorm(3), np.zeros((4, 2)), "last axis must have 3"),
    (lambda: LayerNorm(3), np.zeros(3), "last axis must have 3"),
    (lambda: Residual(Dense(3, 2, seed=0)), np.zeros((4, 3)), "keeps the shape"),
])
def test_bad_inputs_are_refused_clearly(make, x, match):
    with pytest.raises(ValueError, match=match):
        make().forward(x)


def test_a_single_sample_is_fine_in_eval_mode():
    bn = BatchNorm(3).eval()
    assert bn.forward(np.ones((1, 3), dtype=np.float32)).shape == (1, 3)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_features": 0}, "n_features"), ({"n_features": 3, "momentum": 0}, "momentum"),
    ({"n_features": 3, "momentum": 1.5}, "momentum"), ({"n_features": 3, "eps": 0}, "eps"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNorm(**kwargs)


def test_layernorm_settings_and_residual_needs_a_module():
    with pytest.raises(ValueError, match="n_features >= 2"):
        LayerNorm(1)
    with pytest.raises(TypeError, match="nnlib Module"):
        Residual(lambda x: x)
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm(2).backward(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="grad_out must have shape"):
        bn = BatchNorm(2)
        bn.forward(np.ones((3, 2)) * np.arange(3)[:, None])
        bn.backward(np.zeros((2, 2)))


def test_a_constant_feature_or_row_gives_beta_not_nan():
    x = np.ones((4, 3))
    x[:, 0] = np.arange(4.0)                              # one varying feature
    bn = BatchNorm(3, dtype=np.float64)
    bn.beta.value[...] = 0.5
    y = bn.forward(x)
    assert np.isfinite(y).all() and np.all(y[:, 1:] == 0.5)
    ln = LayerNorm(3, dtype=np.float64)
    assert np.array_equal(ln.forward(np.full((2, 3), 7.0)), np.zeros((2, 3)))


def test_layernorm_over_two_features_and_integer_dtypes_refused():
    y = LayerNorm(2, dtype=np.float64).forward(np.array([[1.0, 3.0]]))
    np.testing.assert_allclose(y, [[-1.0, 1.0]], rtol=1e-5)
    for cls in (BatchNorm, LayerNorm):
        with pytest.raises((TypeError, ValueError), match="dtype"):
            cls(3, dtype=np.int64)
