"""Wiring: the code around the maths, where a bug trains quietly to a worse model.

Each test here was written against a bug planted on purpose that the rest of the suite did
not catch (``python tools/mutate.py --planted`` plants them again and reports which are
caught). Every expectation is computed independently, in float64, with tight tolerances.
"""

import numpy as np
import pytest

import nnlib
from nnlib import SGD, Conv2D, EarlyStopping, MaxPool2D, fit
from nnlib.training import History


def tiny_problem(n=10, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


def linear_model(d=3, k=2, seed=0):
    return nnlib.build_mlp(d, [], k, seed=seed, dtype=np.float64)


def values(model):
    return [p.value.copy() for p in model.parameters()]


# ----------------------------------------------------------------- 1. the regularizer's gradient
def test_fit_adds_the_regularizers_gradient():
    """With plain SGD, an L2 penalty lambda/2 ||W||^2 is exactly weight decay lambda: the
    same step must come out of fit(regularizer=L2) and of SGD(weight_decay=lambda)."""
    X, y = tiny_problem()
    a, b, c = linear_model(), linear_model(), linear_model()
    fit(a, X, y, optimizer=SGD(a, lr=0.5), regularizer=nnlib.L2(0.3), epochs=2,
        batch_size=4, shuffle=False, progress=False)
    fit(b, X, y, optimizer=SGD(b, lr=0.5, weight_decay=0.3), epochs=2, batch_size=4,
        shuffle=False, progress=False)
    fit(c, X, y, optimizer=SGD(c, lr=0.5), epochs=2, batch_size=4, shuffle=False,
        progress=False)
    for pa, pb in zip(values(a), values(b)):
        np.testing.assert_allclose(pa, pb, rtol=1e-12, atol=1e-15)
    assert not np.allclose(values(a)[0], values(c)[0])     # the penalty changed the weights


# ----------------------------------------------------------------- 2. clip_norm
def test_fit_clips_the_gradient_norm():
    X, y = tiny_problem()
    model = linear_model()
    before = values(model)
    fit(model, X, y, optimizer=SGD(model, lr=1.0), clip_norm=1e-3, epochs=1,
        batch_size=len(X), progress=False)
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(values(model), before)))
    assert 0.9e-3 < step <= 1e-3 * (1 + 1e-9)          # lr * clip_norm, not the full step
    free = linear_model()
    fit(free, X, y, optimizer=SGD(free, lr=1.0), epochs=1, batch_size=len(X), progress=False)
    free_step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(values(free), before)))
    assert free_step > 10 * step


# ----------------------------------------------------------------- 3. train_loss weighting
def test_train_loss_weights_each_batch_by_its_real_length():
    """10 samples in batches of 4: 4 + 4 + 2. With a step too small to move the weights, the
    epoch's train_loss is the mean loss over the 10 samples, the last batch weighted by 2."""
    X, y = tiny_problem(n=10)
    model = linear_model()
    expected = nnlib.evaluate(model, X, y)[0]
    h = fit(model, X, y, optimizer=SGD(model, lr=1e-300), epochs=1, batch_size=4,
            progress=False)
    assert h.train_loss[0] == pytest.approx(expected, rel=1e-12)
    accuracy = np.mean(nnlib.training.predict_outputs(model, X).argmax(axis=1) == y)
    assert h.train_acc[0] == pytest.approx(accuracy, rel=1e-12)


# ----------------------------------------------------------------- 4. EarlyStopping.min_delta
@pytest.mark.parametrize("monitor,sign", [("val_loss", -1), ("val_acc", +1),
                                          ("train_loss", -1), ("train_acc", +1)])
def test_early_stopping_counts_only_improvements_larger_than_min_delta(monitor, sign):
    stopper = EarlyStopping(monitor, patience=2, min_delta=0.1, restore_best=False)
    model = linear_model()
    stopper.on_train_begin(model)
    h = History()
    # an improvement of 0.5 counts, of 0.05 (< min_delta) does not, of 0.2 counts again
    steps = [0.0, 0.5, 0.55, 0.75, 0.8, 0.85]
    stops = []
    for epoch, s in enumerate(steps):
        getattr(h, monitor).append(1.0 + sign * s)
        stops.append(stopper.on_epoch_end(epoch, h, model))
    assert [stopper.best_epoch, stops] == [3, [False, False, False, False, False, True]]
    assert stopper.best == pytest.approx(1.0 + sign * 0.75)


# ----------------------------------------------------------------- 5. the classifier's penalties
@pytest.mark.parametrize("l1,l2,kind", [(0.0, 0.01, nnlib.L2), (0.02, 0.0, nnlib.L1)])
def test_classifier_builds_the_penalty_it_is_asked_for(l1, l2, kind):
    reg = nnlib.NeuralNetClassifier(l1=l1, l2=l2)._regularizer()
    assert type(reg) is kind
    W = np.array([[0.5, -2.0]])
    np.testing.assert_allclose(reg.gradient(W), l1 * np.sign(W) + l2 * W, rtol=1e-12)


# ----------------------------------------------------------------- 6. overlapping max-pool
def brute_force_maxpool(x, k, s):
    n, c, h, w = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, c, ho, wo))
    winner = {}
    for a in range(n):
        for b in range(c):
            for i in range(ho):
                for j in range(wo):
                    window = x[a, b, i * s:i * s + k, j * s:j * s + k]
                    u, v = np.unravel_index(np.argmax(window), window.shape)
                    out[a, b, i, j] = window[u, v]
                    winner[a, b, i, j] = (i * s + u, j * s + v)
    return out, winner


@pytest.mark.parametrize("k,s", [(3, 1), (3, 2), (2, 1), (2, 2), (3, 3)])
@pytest.mark.parametrize("reference", [False, True])
def test_maxpool_routes_the_gradient_to_each_windows_winner(k, s, reference, monkeypatch):
    monkeypatch.setattr(MaxPool2D, "reference", reference)
    rng = np.random.default_rng(k * 10 + s)
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8).astype(np.float64)   # no ties
    pool = MaxPool2D(k, s)
    out, winner = brute_force_maxpool(x, k, s)
    np.testing.assert_array_equal(pool.forward(x), out)
    g = rng.standard_normal(out.shape)
    expected = np.zeros_like(x)
    for (a, b, i, j), (r, q) in winner.items():
        expected[a, b, r, q] += g[a, b, i, j]
    np.testing.assert_allclose(pool.backward(g), expected, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------- 7. Conv2D's fans
@pytest.mark.parametrize("init", ["he_normal", "he_uniform", "xavier_normal", "xavier_uniform"])
def test_conv2d_initialises_with_the_fans_of_a_kernel(init):
    c_in, c_out, k = 8, 64, 5
    fan_in, fan_out = c_in * k * k, c_out * k * k
    conv = Conv2D(c_in, c_out, k, init=init, seed=0, dtype=np.float64)
    var = {"he": 2 / fan_in, "xavier": 2 / (fan_in + fan_out)}[init.split("_")[0]]
    # 12,800 weights: the sample std is within 2 % of the true one (a wrong fan, e.g.
    # C_out instead of C_out k^2, is off by a factor of about 2 to 5)
    assert conv.W.value.std() == pytest.approx(np.sqrt(var), rel=0.02)
    if init.endswith("uniform"):
        assert np.abs(conv.W.value).max() <= np.sqrt(3 * var)


# ----------------------------------------------------------------- 8. shuffling
class Recorder(nnlib.Module):
    """Records the first feature of every training batch (the row's id in these tests)."""

    def __init__(self):
        self.seen = []

    def forward(self, x):
        if self.training:
            self.seen.append(x[:, 0].astype(int).tolist())
        return x

    def backward(self, grad_out, need_input_grad=True):
        return grad_out


def _batches(shuffle, seed=0, epochs=2):
    X = np.column_stack([np.arange(12.0), np.zeros(12)])
    y = np.arange(12) % 2
    rec = Recorder()
    model = nnlib.Sequential(rec, nnlib.Dense(2, 2, seed=0, dtype=np.float64))
    fit(model, X, y, optimizer="sgd", lr=1e-300, epochs=epochs, batch_size=4,
        shuffle=shuffle, seed=seed, progress=False)
    return [sum(rec.seen[e * 3:(e + 1) * 3], []) for e in range(epochs)]


def test_fit_shuffles_every_epoch_differently_and_reproducibly():
    first, second = _batches(shuffle=True)
    assert sorted(first) == sorted(second) == list(range(12))     # every row once per epoch
    assert first != list(range(12)) and second != first            # a new order each epoch
    assert _batches(shuffle=True) == [first, second]                # the same seed: the same
    assert _batches(shuffle=True, seed=1) != [first, second]
    assert _batches(shuffle=False) == [list(range(12))] * 2


# ----------------------------------------------------------------- more wiring
def test_the_schedule_sets_the_rate_of_every_step():
    X, y = tiny_problem(n=8)
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1 / (1 + t)

    model = linear_model()
    h = fit(model, X, y, optimizer="sgd", schedule=schedule, epochs=2, batch_size=4,
            progress=False)
    assert seen == [0.0, 0.5, 1.0, 1.5]
    assert h.lr == [0.1 / 1.5, 0.1 / 2.5]


def test_fit_rejects_a_schedule_that_returns_a_bad_rate_and_rolls_back():
    X, y = tiny_problem(n=8)
    model = linear_model()
    before = values(model)
    with pytest.raises(ValueError, match="schedule returned the learning rate -0.1"):
        fit(model, X, y, optimizer="sgd", schedule=lambda t: 0.1 if t < 0.5 else -0.1,
            epochs=1, batch_size=4, progress=False)
    for a, b in zip(values(model), before):
        np.testing.assert_array_equal(a, b)                # the first step was rolled back


def test_divergence_rolls_back_the_parameters_and_the_optimizer():
    X, y = tiny_problem(n=40)
    model = nnlib.build_mlp(3, [4], 2, seed=0, dtype=np.float64)
    opt = nnlib.Adam(model, lr=0.01)
    fit(model, X, y, optimizer=opt, epochs=1, batch_size=8, progress=False)
    before, m_before, t_before = values(model), [m.copy() for m in opt.m], opt.t
    opt.lr = 1e300
    with pytest.raises(nnlib.TrainingDiverged, match="rolled back"):
        fit(model, X, y, optimizer=opt, epochs=3, batch_size=8, progress=False)
    for a, b in zip(values(model), before):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(opt.m, m_before):
        np.testing.assert_array_equal(a, b)
    assert opt.t == t_before


def test_divergence_in_the_last_step_is_reported():
    """One step (one batch) that makes the weights so large (1e30) that the next forward pass
    overflows float32: the loss that was computed before it was finite."""
    X, y = tiny_problem(n=4)
    model = nnlib.build_mlp(3, [8], 2, seed=0)               # float32
    before = values(model)
    with pytest.raises(nnlib.TrainingDiverged, match="after the last step of epoch 0"):
        fit(model, X, y, optimizer=SGD(model, lr=1e30), epochs=1, batch_size=4,
            progress=False)
    for a, b in zip(values(model), before):
        np.testing.assert_array_equal(a, b)


def test_labels_beyond_the_models_outputs_fail_before_training():
    X, y = tiny_problem(n=8, k=2)
    model = linear_model(k=2)
    before = values(model)
    with pytest.raises(ValueError, match="y_val holds class 5 but the model has 2 outputs"):
        fit(model, X, y, validation_data=(X, np.full(8, 5)), epochs=1, progress=False)
    for a, b in zip(values(model), before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- gaps found by tools/mutate.py
def test_fit_shuffles_by_default():
    X = np.column_stack([np.arange(12.0), np.zeros(12)])
    rec = Recorder()
    model = nnlib.Sequential(rec, nnlib.Dense(2, 2, seed=0, dtype=np.float64))
    fit(model, X, np.arange(12) % 2, optimizer="sgd", lr=1e-300, epochs=1, batch_size=12,
        seed=0, progress=False)
    assert rec.seen[0] != list(range(12))


def test_history_records_positive_epoch_times():
    X, y = tiny_problem()
    h = fit(linear_model(), X, y, epochs=2, progress=False)
    assert len(h.seconds) == 2 and all(0 < s < 60 for s in h.seconds)


def test_binary_training_accuracy_is_counted():
    X, _ = tiny_problem(n=10)
    y = (X[:, 0] > 0).astype(float)
    model = nnlib.build_mlp(3, [], 1, seed=0, dtype=np.float64)
    expected = np.mean((nnlib.training.predict_outputs(model, X)[:, 0] > 0) == (y > 0.5))
    h = fit(model, X, y, loss=nnlib.BinaryCrossEntropy(), optimizer=SGD(model, lr=1e-300),
            epochs=1, batch_size=4, progress=False)
    assert h.train_acc[0] == pytest.approx(expected, rel=1e-12)


def test_regression_with_float_targets_trains_and_nan_targets_are_refused():
    X, _ = tiny_problem(n=12)
    y = X @ np.array([[1.0], [-2.0], [0.5]])
    model = nnlib.build_mlp(3, [], 1, seed=0, dtype=np.float64)
    h = fit(model, X, y, loss=nnlib.MeanSquaredError(), optimizer="sgd", lr=0.1, epochs=30,
            batch_size=4, progress=False)
    assert h.train_loss[-1] < 0.01 * h.train_loss[0] and h.train_acc == [None] * 30
    y[3] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        fit(model, X, y, loss=nnlib.MeanSquaredError(), epochs=1, progress=False)


def test_early_stopping_starts_afresh_in_every_fit():
    X, y = tiny_problem(n=20)
    stopper = EarlyStopping("train_loss", patience=100, restore_best=False)
    fit(linear_model(), X, y, optimizer="sgd", lr=0.1, epochs=5, callbacks=[stopper],
        progress=False)
    assert stopper.best_epoch == 4
    h = fit(linear_model(), X, y, optimizer="sgd", lr=1e-300, epochs=1, callbacks=[stopper],
            progress=False)
    assert stopper.best_epoch == 0 and h.best_epoch == 0


def test_optimizer_zero_grad_zeroes_every_gradient():
    model = nnlib.build_mlp(3, [4], 2, seed=0)
    opt = nnlib.Adam(model)
    for p in model.parameters():
        p.grad[...] = 1.0
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


@pytest.mark.parametrize("make", [
    lambda ps: nnlib.Adam(ps, betas=(1.0, 0.999)), lambda ps: nnlib.Adam(ps, betas=(0.9, 1.0)),
    lambda ps: SGD(ps, momentum=1.0), lambda ps: nnlib.RMSProp(ps, rho=1.0)])
def test_decay_factors_of_one_are_refused(make):
    with pytest.raises(ValueError):
        make(linear_model().parameters())


def test_conv_and_pool_windows_as_large_as_the_input():
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4))
    assert Conv2D(1, 3, 4, seed=0, dtype=np.float64).forward(x).shape == (2, 3, 1, 1)
    assert Conv2D(1, 3, 6, padding=1, seed=0, dtype=np.float64).forward(x).shape == (2, 3, 1, 1)
    assert MaxPool2D(4).forward(x).shape == (2, 1, 1, 1)
    with pytest.raises(ValueError, match="larger"):
        Conv2D(1, 3, 5, seed=0).forward(x)


@pytest.mark.parametrize("params,words", [
    (dict(optimizer="adamm"), "optimizer"), (dict(l2=-1.0), "l2"), (dict(l1=-1.0), "l1"),
    (dict(dropout=1.0), "dropout"), (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(validation_fraction=0.0), "validation_fraction"), (dict(patience=-1), "patience"),
])
def test_classifier_rejects_bad_settings_before_training(params, words):
    X, y = tiny_problem(n=20)
    clf = nnlib.NeuralNetClassifier(hidden_sizes=(3,), epochs=1, **params)
    with pytest.raises(ValueError, match=words):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")


def test_classifier_validation_data_with_other_features_is_refused():
    X, y = tiny_problem(n=20)
    clf = nnlib.NeuralNetClassifier(hidden_sizes=(3,), epochs=1)
    with pytest.raises(ValueError, match="X_val has 2 features but X has 3"):
        clf.fit(X, y, X_val=X[:, :2], y_val=y)
