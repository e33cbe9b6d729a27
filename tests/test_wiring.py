"""Wiring: the code around the maths, where a bug trains quietly to a worse model.

Each numbered section protects one bug that an audit planted on purpose and that the rest
of the suite did not catch (``python tools/mutate.py --planted`` plants them again and
reports which are caught); the sections after them cover gaps found by mutation testing
(``python tools/mutate.py --sample 60``). Every expectation is computed independently by
hand, in float64, with tight tolerances, through the public API.
"""

import numpy as np
import pytest

import nnlib
from nnlib import SGD, Conv2D, EarlyStopping, MaxPool2D, fit
from nnlib.training import Callback, History


def tiny_problem(n=10, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, k, n)


def linear_model(d=3, k=2, seed=0):
    """Softmax regression: one Dense layer, parameters [W (d, k), b (k,)], float64."""
    return nnlib.build_mlp(d, [], k, seed=seed, dtype=np.float64)


def values(model):
    return [p.value.copy() for p in model.parameters()]


def log_softmax(Z):
    Z = Z - Z.max(axis=1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


def mean_ce(X, y, W, b):
    """The mean softmax cross-entropy of the linear model (W, b) on (X, y), by hand."""
    return -log_softmax(X @ W + b)[np.arange(len(y)), y].mean()


def ce_grads(X, y, W, b):
    """dL/dW, dL/db of the mean softmax cross-entropy: X^T (P - Y) / N, sum(P - Y) / N."""
    G = np.exp(log_softmax(X @ W + b))
    G[np.arange(len(y)), y] -= 1
    G /= len(y)
    return X.T @ G, G.sum(axis=0)


def sgd_fit(model, X, y, lr, **kwargs):
    kwargs.setdefault("epochs", 1)
    kwargs.setdefault("batch_size", len(X))
    return fit(model, X, y, optimizer=SGD(model, lr=lr), progress=False, **kwargs)


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


@pytest.mark.parametrize("reg,penalty_grad", [
    (nnlib.L2(0.3), lambda W: 0.3 * W),
    (nnlib.L1(0.2), lambda W: 0.2 * np.sign(W)),
    (nnlib.ElasticNet(0.2, 0.3), lambda W: 0.2 * np.sign(W) + 0.3 * W),
])
def test_one_step_of_fit_is_the_hand_computed_step_with_the_penalty(reg, penalty_grad):
    """One full-batch SGD step: W <- W - lr (X^T (P - Y)/N + dR/dW), b <- b - lr sum(P - Y)/N
    (biases are not penalised); train_loss is the data loss before the step, no penalty."""
    X, y = tiny_problem(n=6)
    model = linear_model()
    W0, b0 = values(model)
    h = sgd_fit(model, X, y, lr=0.5, regularizer=reg)
    gW, gb = ce_grads(X, y, W0, b0)
    W1, b1 = values(model)
    np.testing.assert_allclose(W1, W0 - 0.5 * (gW + penalty_grad(W0)), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b1, b0 - 0.5 * gb, rtol=1e-12, atol=1e-14)
    assert h.train_loss[0] == pytest.approx(mean_ce(X, y, W0, b0), rel=1e-12)


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


@pytest.mark.parametrize("lam", [0.0, 0.4])
@pytest.mark.parametrize("fraction", [0.25, 2.0])
def test_clip_norm_scales_the_whole_gradient_penalty_included(lam, fraction):
    """g = (dL/dW + lam W, dL/db), ||g|| over every parameter; clip_norm = fraction ||g||:
    below the norm the step is lr g clip/(||g|| + 1e-6), above it the plain step lr g.
    The penalty's gradient is added before clipping (regularizer, then clip, then step)."""
    X, y = tiny_problem(n=6)
    W0, b0 = values(linear_model())
    gW, gb = ce_grads(X, y, W0, b0)
    gW = gW + lam * W0
    norm = np.sqrt(np.sum(gW ** 2) + np.sum(gb ** 2))
    clip = fraction * norm
    scale = clip / (norm + 1e-6) if clip < norm else 1.0
    model = linear_model()
    sgd_fit(model, X, y, lr=0.5, clip_norm=clip, regularizer=nnlib.L2(lam) if lam else None)
    W1, b1 = values(model)
    np.testing.assert_allclose(W1, W0 - 0.5 * scale * gW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b1, b0 - 0.5 * scale * gb, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------- 3. train_loss weighting
def test_train_loss_weights_each_batch_by_its_real_length():
    """10 samples in batches of 4: 4 + 4 + 2. With a step too small to move the weights, the
    epoch's train_loss is the mean loss over the 10 samples, the last batch weighted by 2
    (weighting it by the batch size 4 gives (4 l1 + 4 l2 + 4 l3) / 10, another number)."""
    X, y = tiny_problem(n=10)
    model = linear_model()
    W0, b0 = values(model)
    expected = mean_ce(X, y, W0, b0)
    assert nnlib.evaluate(model, X, y)[0] == pytest.approx(expected, rel=1e-12)
    h = fit(model, X, y, optimizer=SGD(model, lr=1e-300), epochs=1, batch_size=4,
            progress=False)
    assert h.train_loss[0] == pytest.approx(expected, rel=1e-12)
    accuracy = np.mean((X @ W0 + b0).argmax(axis=1) == y)
    assert h.train_acc[0] == pytest.approx(accuracy, rel=1e-12)


def test_train_loss_is_the_mean_of_the_losses_seen_before_each_step():
    """Without shuffling, batches X[0:4], X[4:8], X[8:10], each loss computed before its
    step with the weights of that moment: train_loss = (4 l1 + 4 l2 + 2 l3) / 10."""
    X, y = tiny_problem(n=10)
    model = linear_model()
    W, b = values(model)
    total = 0.0
    for sl in (slice(0, 4), slice(4, 8), slice(8, 10)):
        n = sl.stop - sl.start
        total += n * mean_ce(X[sl], y[sl], W, b)
        gW, gb = ce_grads(X[sl], y[sl], W, b)
        W, b = W - 0.3 * gW, b - 0.3 * gb
    h = sgd_fit(model, X, y, lr=0.3, batch_size=4, shuffle=False)
    assert h.train_loss[0] == pytest.approx(total / 10, rel=1e-12)
    np.testing.assert_allclose(values(model)[0], W, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------- 4. EarlyStopping.min_delta
@pytest.mark.parametrize("monitor", ["val_loss", "train_loss", "val_acc", "train_acc"])
def test_early_stopping_counts_only_improvements_larger_than_min_delta(monitor):
    """Gains over the best so far, with min_delta = 0.125 (binary fractions: exact):
    epoch 1: +0.25 counts; 2: +0.0625 does not; 3: +0.1875 counts (best); 4: exactly
    +0.125 does not (more than min_delta is needed); 5: +0.0625 does not -> the second
    epoch without improvement, patience 2: stop. Losses must fall, accuracies rise.
    restore_best puts back the parameters of epoch 3."""
    loss = monitor.endswith("loss")
    gains = [0.0, 0.25, 0.3125, 0.4375, 0.5625, 0.5]
    stopper = EarlyStopping(monitor, patience=2, min_delta=0.125, restore_best=True)
    model = linear_model()
    stopper.on_train_begin(model)
    h = History()
    stops = []
    for epoch, gain in enumerate(gains):
        getattr(h, monitor).append(1.0 - gain if loss else 0.25 + gain)
        for p in model.parameters():
            p.value[...] = epoch                       # the parameters of this epoch
        stops.append(stopper.on_epoch_end(epoch, h, model))
    assert stops == [False, False, False, False, False, True]
    assert stopper.best_epoch == 3
    assert stopper.best == (1.0 - 0.4375 if loss else 0.25 + 0.4375)
    stopper.on_train_end(model, h)
    assert h.best_epoch == 3
    assert all(np.all(p.value == 3) for p in model.parameters())


@pytest.mark.parametrize("monitor,step", [("val_loss", -0.5), ("val_acc", +0.5)])
def test_early_stopping_without_min_delta_needs_a_strict_improvement(monitor, step):
    """min_delta = 0: any strict improvement counts, an equal value does not; patience 1."""
    stopper = EarlyStopping(monitor, patience=1, restore_best=False)
    model = linear_model()
    stopper.on_train_begin(model)
    h = History()
    stops = []
    for epoch, value in enumerate([1.0, 1.0 + step, 1.0 + step]):
        getattr(h, monitor).append(value)
        stops.append(stopper.on_epoch_end(epoch, h, model))
    assert stops == [False, False, True] and stopper.best_epoch == 1


# ----------------------------------------------------------------- 5. the classifier's penalties
@pytest.mark.parametrize("l1,l2,kind", [(0.0, 0.01, nnlib.L2), (0.02, 0.0, nnlib.L1)])
def test_classifier_builds_the_penalty_it_is_asked_for(l1, l2, kind):
    reg = nnlib.NeuralNetClassifier(l1=l1, l2=l2)._regularizer()
    assert type(reg) is kind
    W = np.array([[0.5, -2.0]])
    np.testing.assert_allclose(reg.gradient(W), l1 * np.sign(W) + l2 * W, rtol=1e-12)


@pytest.mark.parametrize("l1,l2", [(0.0, 0.01), (0.02, 0.0), (0.02, 0.01)])
def test_classifier_penalty_options_change_the_step_by_their_gradient(l1, l2):
    """Through fit only: three classifiers with the same seed start from the same W0. One
    full-batch SGD step with and without the penalty differ by exactly -lr dR/dW0 =
    -lr (l1 sign W0 + l2 W0) on the weights, and not at all on the biases; W0 itself comes
    from a step of lr = 1e-300, which moves nothing."""
    X, y = tiny_problem(n=12, k=3)

    def trained(lr, **penalty):
        clf = nnlib.NeuralNetClassifier(hidden_sizes=(), optimizer="sgd", lr=lr, epochs=1,
                                        batch_size=len(X), seed=0, dtype=np.float64,
                                        **penalty)
        return values(clf.fit(X, y).model_)

    W0, _ = trained(1e-300)
    W_plain, b_plain = trained(0.5)
    W_pen, b_pen = trained(0.5, l1=l1, l2=l2)
    np.testing.assert_allclose(W_pen - W_plain, -0.5 * (l1 * np.sign(W0) + l2 * W0),
                               rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(b_pen, b_plain)


# ----------------------------------------------------------------- 6. overlapping max-pool
def brute_force_maxpool(x, kernel, stride):
    """Loops over every window: the max and the (row, column) of its (unique) winner."""
    (kh, kw), (sh, sw) = kernel, stride
    n, c, h, w = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((n, c, ho, wo))
    winner = {}
    for a in range(n):
        for b in range(c):
            for i in range(ho):
                for j in range(wo):
                    window = x[a, b, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    u, v = np.unravel_index(np.argmax(window), window.shape)
                    out[a, b, i, j] = window[u, v]
                    winner[a, b, i, j] = (i * sh + u, j * sw + v)
    return out, winner


def _pair(k):
    return k if isinstance(k, tuple) else (k, k)


# MaxPool2D.reference switches to its readable reference path; test both while it exists.
POOL_PATHS = [False, True] if hasattr(MaxPool2D, "reference") else [False]


@pytest.mark.parametrize("k,s", [(3, 1), (3, 2), (2, 1), (2, 2), (3, 3),
                                 ((2, 3), (1, 2)), ((3, 2), (2, 1)), ((2, 3), 1)])
@pytest.mark.parametrize("reference", POOL_PATHS)
def test_maxpool_routes_the_gradient_to_each_windows_winner(k, s, reference, monkeypatch):
    """Overlapping windows (stride < kernel): a pixel can win several windows and receives
    the sum of their gradients. Non-square windows catch a kh/kw mix-up in the winner's
    offset u * kw + v."""
    monkeypatch.setattr(MaxPool2D, "reference", reference, raising=False)
    kh, kw = _pair(k)
    rng = np.random.default_rng(kh * 10 + kw)
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8).astype(np.float64)   # no ties
    pool = MaxPool2D(k, s)
    out, winner = brute_force_maxpool(x, (kh, kw), _pair(s))
    np.testing.assert_array_equal(pool.forward(x), out)
    g = rng.standard_normal(out.shape)
    expected = np.zeros_like(x)
    for (a, b, i, j), (r, q) in winner.items():
        expected[a, b, r, q] += g[a, b, i, j]
    np.testing.assert_allclose(pool.backward(g), expected, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------- 7. Conv2D's fans
@pytest.mark.parametrize("kernel", [5, (3, 5)])
@pytest.mark.parametrize("init", ["he_normal", "he_uniform", "xavier_normal", "xavier_uniform"])
def test_conv2d_initialises_with_the_fans_of_a_kernel(init, kernel):
    """fan_in = C_in kh kw, fan_out = C_out kh kw (not C_in, C_out): He var 2/fan_in,
    Xavier var 2/(fan_in + fan_out); the uniform ones bounded by sqrt(3 var)."""
    c_in, c_out = 8, 64
    kh, kw = _pair(kernel)
    fan_in, fan_out = c_in * kh * kw, c_out * kh * kw
    conv = Conv2D(c_in, c_out, kernel, init=init, seed=0, dtype=np.float64)
    assert conv.W.value.shape == (c_out, c_in, kh, kw)
    var = {"he": 2 / fan_in, "xavier": 2 / (fan_in + fan_out)}[init.split("_")[0]]
    # 7,680 or 12,800 weights: the sample std is within 2 % of the true one (seed 0; a
    # wrong fan, e.g. C_out instead of C_out kh kw, is off by a factor of about 2 to 5)
    assert conv.W.value.std() == pytest.approx(np.sqrt(var), rel=0.02)
    if init.endswith("uniform"):
        assert np.abs(conv.W.value).max() <= np.sqrt(3 * var)
    assert np.all(conv.b.value == 0)


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


def test_the_schedules_rates_are_the_rates_of_the_steps():
    """8 samples, batches of 4, no shuffling, 2 epochs: 4 steps at t = 0, 0.5, 1, 1.5 with
    lr = schedule(t), each step hand-computed; history.lr holds each epoch's last rate."""
    X, y = tiny_problem(n=8)

    def schedule(t):
        return 0.4 / (1 + 2 * t)

    model = linear_model()
    W, b = values(model)
    for t, sl in zip([0.0, 0.5, 1.0, 1.5], [slice(0, 4), slice(4, 8)] * 2):
        gW, gb = ce_grads(X[sl], y[sl], W, b)
        W, b = W - schedule(t) * gW, b - schedule(t) * gb
    h = fit(model, X, y, optimizer=SGD(model, lr=123.0), schedule=schedule, epochs=2,
            batch_size=4, shuffle=False, progress=False)
    np.testing.assert_allclose(values(model)[0], W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(values(model)[1], b, rtol=1e-12, atol=1e-14)
    assert h.lr == [schedule(0.5), schedule(1.5)]


class EpochEndRecorder(Callback):
    """Records, at every epoch's end, a copy of the parameters and the model's mode."""

    def __init__(self):
        self.params, self.training, self.ended = [], [], False

    def on_epoch_end(self, epoch, history, model):
        self.params.append(values(model))
        self.training.append(model.training)
        return False

    def on_train_end(self, model, history):
        self.ended = True


def test_fit_records_the_validation_metrics_of_every_epoch_in_eval_mode():
    """val_loss and val_acc of epoch e are those of the parameters at the end of epoch e,
    computed in evaluation mode (dropout off): relu(X W1 + b1) W2 + b2, by hand."""
    X, y = tiny_problem(n=16, k=3)
    X_val, y_val = tiny_problem(n=7, k=3, seed=1)
    model = nnlib.build_mlp(3, [5], 3, dropout=0.5, seed=0, dtype=np.float64)
    rec = EpochEndRecorder()
    h = fit(model, X, y, optimizer="sgd", lr=0.5, epochs=3, batch_size=4, seed=0,
            validation_data=(X_val, y_val), callbacks=[rec], progress=False)
    assert h.epoch == [0, 1, 2] and rec.training == [True] * 3 and rec.ended
    for e, (W1, b1, W2, b2) in enumerate(rec.params):
        Z = np.maximum(X_val @ W1 + b1, 0) @ W2 + b2
        loss = -log_softmax(Z)[np.arange(len(y_val)), y_val].mean()
        assert h.val_loss[e] == pytest.approx(loss, rel=1e-12)
        assert h.val_acc[e] == np.mean(Z.argmax(axis=1) == y_val)
    assert len({round(v, 12) for v in h.val_loss}) == 3          # the weights did move


def test_without_validation_data_the_validation_metrics_are_none():
    X, y = tiny_problem()
    h = fit(linear_model(), X, y, epochs=2, progress=False)
    assert h.val_loss == [None, None] and h.val_acc == [None, None]


@pytest.mark.parametrize("make", [lambda model, other: SGD(other),
                                  lambda model, other: SGD(model.parameters()[:1])])
def test_an_optimizer_of_other_parameters_is_refused(make):
    """An optimizer made for another model (or for part of this one) would step the wrong
    weights while this model stays as it is: fit refuses it before any work."""
    X, y = tiny_problem()
    model, other = linear_model(), linear_model(seed=1)
    before, other_before = values(model), values(other)
    with pytest.raises(ValueError, match="optimizer was created for other parameters"):
        fit(model, X, y, optimizer=make(model, other), epochs=1, progress=False)
    for a, b in zip(values(model) + values(other), before + other_before):
        np.testing.assert_array_equal(a, b)


def test_lr_overrides_the_rate_of_an_optimizer_instance():
    X, y = tiny_problem(n=6)
    model = linear_model()
    W0, b0 = values(model)
    opt = SGD(model, lr=0.1)
    h = fit(model, X, y, optimizer=opt, lr=0.5, epochs=1, batch_size=6, progress=False)
    gW, _ = ce_grads(X, y, W0, b0)
    np.testing.assert_allclose(values(model)[0], W0 - 0.5 * gW, rtol=1e-12, atol=1e-14)
    assert opt.lr == 0.5 and h.lr == [0.5]


def test_the_named_momentum_optimizer_uses_momentum_0_9():
    """optimizer="momentum": v <- 0.9 v + g, W <- W - lr v (two full-batch steps)."""
    X, y = tiny_problem(n=6)
    model = linear_model()
    W, b = values(model)
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for _ in range(2):
        gW, gb = ce_grads(X, y, W, b)
        vW, vb = 0.9 * vW + gW, 0.9 * vb + gb
        W, b = W - 0.2 * vW, b - 0.2 * vb
    fit(model, X, y, optimizer="momentum", lr=0.2, epochs=2, batch_size=6, progress=False)
    np.testing.assert_allclose(values(model)[0], W, rtol=1e-12, atol=1e-14)


def test_a_continued_history_numbers_the_epochs_on_and_so_does_the_schedule():
    X, y = tiny_problem(n=8)
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1

    model = linear_model()
    h = fit(model, X, y, optimizer="sgd", epochs=2, batch_size=8, progress=False)
    h2 = fit(model, X, y, optimizer="sgd", schedule=schedule, epochs=3, batch_size=8,
             history=h, progress=False)
    assert h2 is h and h.epoch == [0, 1, 2, 3, 4] and len(h.train_loss) == 5
    assert seen == [2.0, 3.0, 4.0]


def test_a_callback_that_returns_true_stops_training_after_that_epoch():
    class StopAtOne(EpochEndRecorder):
        def on_epoch_end(self, epoch, history, model):
            super().on_epoch_end(epoch, history, model)
            return epoch == 1

    X, y = tiny_problem()
    rec, stop = EpochEndRecorder(), StopAtOne()
    h = fit(linear_model(), X, y, epochs=10, callbacks=[rec, stop], progress=False)
    assert h.epoch == [0, 1] and h.stopped_epoch == 1
    assert len(rec.params) == 2 and rec.ended and stop.ended       # every callback, every epoch


def test_augment_is_applied_to_the_training_batches_of_every_epoch_only():
    """augment(X, rng) is called once per epoch with fit's seeded generator; the model
    trains on its output; validation data is never augmented (eval-mode forward passes
    are not recorded by Recorder, training ones are)."""
    X = np.column_stack([np.arange(8.0), np.zeros(8)])
    y = np.arange(8) % 2
    calls = []

    def augment(X, rng):
        calls.append(rng.integers(1 << 30))
        return X + 100 * len(calls)

    def run():
        rec = Recorder()
        model = nnlib.Sequential(rec, nnlib.Dense(2, 2, seed=0, dtype=np.float64))
        h = fit(model, X, y, optimizer="sgd", lr=1e-300, epochs=2, batch_size=8, seed=3,
                augment=augment, validation_data=(X, y), progress=False)
        return rec, h

    rec, h = run()
    assert len(calls) == 2
    assert sorted(rec.seen[0]) == list(range(100, 108))
    assert sorted(rec.seen[1]) == list(range(200, 208))
    first = list(calls)
    run()
    assert calls[2:] == first                                     # the seed decides the rng
    model = nnlib.Sequential(nnlib.Dense(2, 2, seed=0, dtype=np.float64))
    assert h.val_loss[-1] == pytest.approx(nnlib.evaluate(model, X, y)[0], rel=1e-12)


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
    (dict(activation="relu6"), "activation"), (dict(lr=0.0), "lr"), (dict(epochs=0), "epochs"),
    (dict(batch_size=0), "batch_size"), (dict(early_stopping="yes"), "early_stopping"),
])
@pytest.mark.parametrize("bad_data", [False, True])
def test_classifier_rejects_bad_settings_before_training(params, words, bad_data):
    # Like scikit-learn, the settings are checked first, before the data: with bad data too,
    # the error is about the setting (a check left to the layers would come too late).
    X, y = tiny_problem(n=20)
    if bad_data:
        X[0, 0] = np.nan
    clf = nnlib.NeuralNetClassifier(**{"hidden_sizes": (3,), "epochs": 1, **params})
    with pytest.raises((TypeError if words == "early_stopping" else ValueError), match=words):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")


def test_classifier_score_takes_lists_like_predict():
    X, y = tiny_problem(n=20)
    clf = nnlib.NeuralNetClassifier(hidden_sizes=(3,), epochs=2, seed=0).fit(X, y)
    assert clf.score(X.tolist(), y.tolist()) == clf.score(X, y) == np.mean(clf.predict(X) == y)


@pytest.mark.parametrize("args,error,words", [
    ((2.5, 1), TypeError, "size must be an integer"), ((0, 1), ValueError, "size"),
    ((4, 0), ValueError, "kernel"), ((4, 1.0), TypeError, "kernel must be an integer"),
    ((True, 1), TypeError, "size must be an integer")])
def test_conv_output_size_refuses_sizes_that_are_not_positive_integers(args, error, words):
    with pytest.raises(error, match=words):
        nnlib.conv.conv_output_size(*args)


def test_im2col_names_a_bad_kernel_size():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        nnlib.conv.im2col(x, 0)
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        nnlib.conv.im2col(x, (2, 0))


def test_maxpool_defaults_to_2x2_windows_with_stride_2_on_the_fast_path():
    pool = MaxPool2D()
    assert pool.kernel_size == (2, 2) and pool.stride == (2, 2)
    assert MaxPool2D.reference is False          # the readable path is for tests and reading
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert np.array_equal(pool.forward(x)[0, 0], [[5.0, 7.0], [13.0, 15.0]])


def test_maxpool_windows_of_256_entries_at_most():
    x = np.random.default_rng(0).standard_normal((1, 1, 17, 17))
    assert MaxPool2D(16).forward(x).shape == (1, 1, 1, 1)
    assert MaxPool2D((1, 256)).forward(np.zeros((1, 1, 1, 256))).shape == (1, 1, 1, 1)
    for k in [17, (16, 17), (1, 257)]:
        with pytest.raises(ValueError, match="more than 256"):
            MaxPool2D(k).forward(np.zeros((1, 1, 17, 257)))


@pytest.mark.parametrize("kernel", [(2, 2), (3, 2), (2, 3), (1, 3), (3, 1), (1, 1)])
def test_maxpool_gradient_goes_to_the_winner_of_each_window(kernel):
    # The fast backward pass hands the last offset of a window every window not yet won:
    # put the maximum at each offset in turn, the last one included.
    kh, kw = kernel
    for u in range(kh):
        for v in range(kw):
            x = np.zeros((1, 1, 2 * kh, 2 * kw))
            x[:, :, u::kh, v::kw] = 1.0
            pool = MaxPool2D(kernel)
            pool.forward(x)
            g = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
            dx = pool.backward(g)
            expected = np.zeros_like(x)
            expected[:, :, u::kh, v::kw] = g
            np.testing.assert_array_equal(dx, expected)


@pytest.mark.parametrize("padding", [(0, 1), (1, 0), (2, 1)])
def test_col2im_cuts_the_padding_off_both_sides(padding):
    x = np.random.default_rng(0).standard_normal((2, 1, 5, 4))
    cols = nnlib.conv.im2col(x, 3, 1, padding)
    back = nnlib.conv.col2im(cols, x.shape, 3, 1, padding)
    assert back.shape == x.shape
    # every pixel is counted once per window that covers it: the count, times x
    ones = nnlib.conv.col2im(np.ones_like(cols), x.shape, 3, 1, padding)
    np.testing.assert_allclose(back, ones * x, rtol=1e-12)


def test_early_stopping_without_restore_best_keeps_the_last_weights():
    X, y = tiny_problem(n=20)
    kept, plain = linear_model(), linear_model()
    stopper = EarlyStopping("train_loss", patience=100, restore_best=False)
    fit(kept, X, y, optimizer="sgd", lr=0.1, epochs=3, callbacks=[stopper], seed=0,
        progress=False)
    fit(plain, X, y, optimizer="sgd", lr=0.1, epochs=3, seed=0, progress=False)
    for a, b in zip(values(kept), values(plain)):
        np.testing.assert_array_equal(a, b)


def test_binary_accuracy_counts_a_soft_target_as_class_1_above_one_half():
    out = np.array([[1.0], [1.0], [-1.0], [-1.0]])
    t = np.array([[0.7], [1.0], [0.2], [0.5]])
    assert nnlib.training._n_correct("binary", out, t) == 4      # 0.5 counts as class 0
    assert nnlib.training._n_correct("binary", -out, t) == 0


def test_fit_skips_the_first_layers_input_gradient():
    X, y = tiny_problem()
    model = linear_model()
    asked, backward = [], model.backward

    def spy(grad_out, need_input_grad=True):
        asked.append(need_input_grad)
        return backward(grad_out, need_input_grad=need_input_grad)

    model.backward = spy
    fit(model, X, y, epochs=2, batch_size=5, progress=False)
    assert asked == [False] * 4


def test_the_last_step_check_allows_up_to_1000_times_the_mean():
    check = nnlib.training._check_last_step
    check(2000.0, 2.0, 0, 0.1)               # exactly 1000x the mean: allowed
    check(1000.0, 0.01, 0, 0.1)              # a mean below 1 counts as 1
    for final, mean in [(2000.5, 2.0), (1500.0, 1.0), (1000.5, 0.01), (float("nan"), 1.0)]:
        with pytest.raises(nnlib.TrainingDiverged, match="after the last step of epoch 3"):
            check(final, mean, 3, 0.1)


class FakeBar:
    def __init__(self, iterable, **options):
        self.iterable, self.postfixes, self.closed = iterable, [], 0

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix(self, values):
        self.postfixes.append(values)

    def close(self):
        self.closed += 1


@pytest.mark.parametrize("with_validation", [True, False])
def test_the_progress_bar_shows_each_epochs_metrics_and_is_closed(monkeypatch, with_validation):
    bars = []
    monkeypatch.setattr(nnlib.training, "progress_bar",
                        lambda it, **options: bars.append(FakeBar(it, **options)) or bars[-1])
    X, y = tiny_problem(n=20)
    h = fit(linear_model(), X, y, optimizer="sgd", lr=0.1, epochs=2,
            validation_data=(X[:8], y[:8]) if with_validation else None, progress=True)
    (bar,) = bars
    assert bar.closed == 1
    keys = ["loss", "acc", "val_loss", "val_acc"] if with_validation else ["loss", "acc"]
    for e, shown in enumerate(bar.postfixes):
        assert list(shown) == keys
        metrics = [h.train_loss[e], h.train_acc[e], h.val_loss[e], h.val_acc[e]]
        assert [shown[k] for k in keys] == [f"{v:.4f}" for v in metrics[:len(keys)]]
    assert len(bar.postfixes) == 2


def test_classifier_validation_data_with_other_features_is_refused():
    X, y = tiny_problem(n=20)
    clf = nnlib.NeuralNetClassifier(hidden_sizes=(3,), epochs=1)
    with pytest.raises(ValueError, match="X_val has 2 features but X has 3"):
        clf.fit(X, y, X_val=X[:, :2], y_val=y)
