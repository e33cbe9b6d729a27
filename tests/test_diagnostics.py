"""nnlib.diagnostics: the statistics are the ones computed by hand, nothing is changed."""

import copy

import numpy as np
import pytest

import nnlib
from nnlib import BatchNorm, Dense, Dropout, ReLU, Sequential, Sigmoid, Tanh
from nnlib import diagnostics as dg


def _data(n=64, d=10, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, k, n)


def _deep(activation, init, n_layers=8, width=32, seed=0):
    layers, n_in = [], 10
    for i in range(n_layers):
        layers += [Dense(n_in, width, init=init, seed=seed + i), activation()]
        n_in = width
    return Sequential(*layers, Dense(n_in, 3, seed=seed + 99))


def test_activation_stats_match_a_forward_pass_by_hand():
    X, _ = _data()
    model = Sequential(Dense(10, 6, seed=0), ReLU(), Dense(6, 4, seed=1), Tanh(),
                       Dense(4, 3, seed=2), Sigmoid())
    stats = dg.activation_stats(model, X, keep_values=True)
    assert [s.layer for s in stats] == ["Dense", "ReLU", "Dense", "Tanh", "Dense", "Sigmoid"]
    a = X
    for s, layer in zip(stats, model):
        a = layer.forward(a)
        assert s.mean == pytest.approx(a.mean()) and s.std == pytest.approx(a.std())
        np.testing.assert_array_equal(s.values, a.ravel())
    assert stats[1].frac_zero == pytest.approx(np.mean(model[1].forward(model[0].forward(X)) == 0))
    assert 0 < stats[1].frac_zero < 1 and stats[0].frac_zero == 0
    assert stats[3].frac_saturated == pytest.approx(
        np.mean(np.abs(model[3].forward(model[2].forward(stats[1].values.reshape(64, 6)))) > 0.99))


def test_the_signal_dies_with_small_weights_and_survives_with_he_init():
    X, _ = _data()
    small = dg.activation_stats(_deep(Tanh, "xavier_normal", n_layers=12), X)
    tiny = _deep(Tanh, "xavier_normal", n_layers=12)
    for p in tiny.parameters():
        p.value *= 0.5                                  # weights half as large as Xavier's
    dying = [s.std for s in dg.activation_stats(tiny, X) if s.layer == "Tanh"]
    assert dying[-1] < 0.01 * dying[0]                  # shrinks layer after layer
    he = [s.std for s in dg.activation_stats(_deep(ReLU, "he_normal", n_layers=12), X)
          if s.layer == "ReLU"]
    assert 0.2 < he[-1] / he[0] < 5                     # neither dies nor explodes
    assert len(small) == 25


def test_activation_stats_restore_the_mode_and_use_eval_mode():
    X, _ = _data()
    model = Sequential(Dense(10, 8, seed=0), Dropout(0.5, seed=0), ReLU())
    a = dg.activation_stats(model, X)
    b = dg.activation_stats(model, X)
    assert a[1].std == b[1].std and model.training                 # dropout was off
    model.eval()
    dg.activation_stats(model, X)
    assert not model.training


def test_activation_stats_in_training_mode_use_batch_statistics_on_a_copy():
    X, _ = _data()
    model = Sequential(Dense(10, 8, seed=0), BatchNorm(8), Dropout(0.5, seed=0), ReLU())
    model[0].W.value *= 10.0                 # an input to BatchNorm far from unit variance
    state = {n: v.copy() for n, v in model.named_state()}
    draw = model[2].rng.bit_generator.state
    model.eval()
    ev = dg.activation_stats(model, X)
    tr = dg.activation_stats(model, X, training=True)
    assert ev[1].std == pytest.approx(ev[0].std, rel=1e-5)       # untrained running stats
    assert tr[1].std == pytest.approx(1.0, abs=1e-3)             # the batch's own statistics
    assert 0.3 < tr[2].frac_zero or tr[3].frac_zero > 0.5         # dropout dropped
    assert not model.training                                      # the mode is restored
    for n, v in model.named_state():
        np.testing.assert_array_equal(v, state[n])                # nothing moved
    assert model[2].rng.bit_generator.state == draw


def test_gradient_stats_change_nothing_in_the_model():
    X, y = _data()
    model = Sequential(Dense(10, 8, seed=0), BatchNorm(8), ReLU(), Dense(8, 3, seed=1)).eval()
    state = {n: v.copy() for n, v in model.named_state()}
    stats = dg.gradient_stats(model, X, y)
    assert not model.training and all(np.all(p.grad == 0) for p in model.parameters())
    for n, v in model.named_state():
        np.testing.assert_array_equal(v, state[n])
    expected = nnlib.Sequential(*[layer for layer in copy.deepcopy(model)]).train()
    loss = nnlib.SoftmaxCrossEntropy()
    loss.forward(expected.forward(X), y)
    expected.backward(loss.backward())
    assert stats["grad_to_weight"]["0.W"] == pytest.approx(           # training mode: BN
        np.linalg.norm(expected[0].W.grad) / np.linalg.norm(expected[0].W.value), rel=1e-5)


def test_gradient_stats_are_those_of_one_backward_pass():
    X, y = _data()
    model = Sequential(Dense(10, 8, seed=0), ReLU(), Dense(8, 3, seed=1))
    stats = dg.gradient_stats(model, X, y)
    loss = nnlib.SoftmaxCrossEntropy()
    loss.forward(model.forward(X), y)
    g2 = model[2].backward(loss.backward())
    g1 = model[1].backward(g2)
    g0 = model[0].backward(g1)
    np.testing.assert_allclose(stats["input_grad_std"], [g0.std(), g1.std(), g2.std()],
                               rtol=1e-6)
    W = model[0].W
    assert stats["grad_to_weight"]["0.W"] == pytest.approx(
        np.linalg.norm(W.grad) / np.linalg.norm(W.value), rel=1e-6)
    assert stats["grad_to_weight"]["0.b"] == float("inf")         # a zero bias


def test_update_ratios_of_one_sgd_step():
    X, y = _data()
    model = Sequential(Dense(10, 8, seed=0), ReLU(), Dense(8, 3, seed=1))
    before = dg.parameter_values(model)
    opt = nnlib.SGD(model.parameters(), lr=0.1)
    loss = nnlib.SoftmaxCrossEntropy()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    grads = {n: p.grad.copy() for n, p in model.named_parameters()}
    opt.step()
    ratios = dg.update_ratios(model, before)
    for name in ("0.W", "2.W"):
        expected = 0.1 * np.linalg.norm(grads[name]) / np.linalg.norm(before[name])
        assert ratios[name] == pytest.approx(expected, rel=1e-5)
    assert ratios["0.b"] == float("inf")
    assert dg.update_ratios(model, dg.parameter_values(model))["0.W"] == 0.0
    with pytest.raises(ValueError, match="parameters of this model"):
        dg.update_ratios(model, {"0.W": before["0.W"]})


def test_initial_loss_is_near_log_k_with_a_sane_initialisation_and_not_with_a_large_one():
    X, y = _data(n=512)
    model = Sequential(Dense(10, 32, seed=0), ReLU(), Dense(32, 3, init="xavier_normal", seed=1))
    for p in model[2].parameters():
        p.value *= 0.01                          # the usual trick: small last-layer weights
    loss, expected = dg.initial_loss(model, X, y, n_classes=3)
    assert expected == pytest.approx(np.log(3)) and abs(loss - expected) < 0.05
    big = Sequential(Dense(10, 32, seed=0), ReLU(), Dense(32, 3, seed=1))
    for p in big[2].parameters():
        p.value *= 30
    assert dg.initial_loss(big, X, y, n_classes=3)[0] > 3 * expected
    with pytest.raises(ValueError, match="n_classes"):
        dg.initial_loss(model, X, y, n_classes=1)


def test_overfit_small_batch_reaches_100_percent_and_leaves_the_model_alone():
    X, y = _data(n=16)
    model = Sequential(Dense(10, 32, seed=0), BatchNorm(32), ReLU(), Dense(32, 3, seed=1))
    before = {n: p.value.copy() for n, p in model.named_parameters()}
    result = dg.overfit_small_batch(model, X, y, steps=300)
    assert result["accuracy"] == 1.0 and result["steps"] < 300
    assert result["losses"][-1] < result["losses"][0]
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.value, before[n])


def test_overfit_small_batch_fails_where_the_backward_pass_is_broken():
    X, y = _data(n=16)

    class Frozen(Dense):                          # a layer whose backward pass forgets dL/dW
        def backward(self, grad_out, need_input_grad=True):
            out = super().backward(grad_out, need_input_grad)
            self.W.grad[...] = 0
            self.b.grad[...] = 0
            return out
    model = Sequential(Dense(10, 4, seed=0), ReLU(), Frozen(4, 3, seed=1))
    for p in model[2].parameters():
        p.value[...] = 0                          # and it starts at zero: every logit is 0
    result = dg.overfit_small_batch(model, X, y, steps=50)
    assert result["accuracy"] < 1.0 and result["steps"] == 50


def test_only_a_sequential_is_inspected():
    with pytest.raises(TypeError, match="Sequential"):
        dg.activation_stats(Dense(2, 2), np.zeros((1, 2)))
    with pytest.raises(TypeError, match="Sequential"):
        dg.gradient_stats(Dense(2, 2), np.zeros((1, 2)), [0])
