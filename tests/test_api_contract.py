"""The documented defaults and argument rules of the training API (gaps that
``tools/mutate.py`` found: a changed default or a check switched off went unnoticed)."""

import inspect

import numpy as np
import pytest

import nnlib
from nnlib import SGD, AdaGrad, Adam, AdamW, RMSProp, fit
from nnlib.conv import build_cnn, col2im, im2col
from nnlib.optim import clip_grad_norm, get_optimizer
from nnlib.training import Callback, EarlyStopping, evaluate, predict_outputs


def defaults(fn):
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("fn,expected", [
    (fit, dict(optimizer="adam", lr=None, epochs=10, batch_size=128, shuffle=True,
               progress=True, eval_batch_size=4096, clip_norm=None, augment=None)),
    (predict_outputs, dict(batch_size=4096)),
    (evaluate, dict(batch_size=4096)),
    (EarlyStopping, dict(monitor="val_loss", patience=5, min_delta=0.0, restore_best=True)),
    (SGD, dict(lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0)),
    (AdaGrad, dict(lr=0.01, eps=1e-8)),
    (RMSProp, dict(lr=0.001, rho=0.9, eps=1e-8)),
    (Adam, dict(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    (AdamW, dict(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    (nnlib.Conv2D, dict(kernel_size=3, stride=1, padding=0, init="he_normal")),
    (build_cnn, dict(input_shape=(1, 28, 28), channels=(16, 32), n_out=10, hidden=128,
                     kernel_size=3, dropout=0.0)),
    (im2col, dict(stride=1, padding=0)),
    (nnlib.NeuralNetClassifier, dict(hidden_sizes=(100,), activation="relu", optimizer="adam",
                                     lr=1e-3, epochs=20, batch_size=128, l1=0.0, l2=0.0,
                                     dropout=0.0, early_stopping=False, validation_fraction=0.1,
                                     patience=5, clip_norm=None, progress=False,
                                     dtype=np.float32)),
    (col2im, dict(stride=1, padding=0)),
])
def test_documented_defaults(fn, expected):
    got = defaults(fn)
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize("call", [
    lambda ps: SGD(ps, lr=0.0), lambda ps: Adam(ps, lr=0.0), lambda ps: Adam(ps, eps=0.0),
    lambda ps: RMSProp(ps, eps=0.0), lambda ps: AdaGrad(ps, eps=0.0),
    lambda ps: clip_grad_norm(ps, 0.0)])
def test_zero_rates_and_epsilons_are_refused(call):
    with pytest.raises(ValueError):
        call(nnlib.build_mlp(2, [], 2, seed=0).parameters())


@pytest.mark.parametrize("kwargs", [dict(clip_norm=0.0), dict(lr=0.0, optimizer=None)])
def test_fit_refuses_a_zero_clip_norm_or_rate(kwargs):
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    model = nnlib.build_mlp(2, [], 2, seed=0)
    if kwargs.get("optimizer", "x") is None:
        kwargs["optimizer"] = Adam(model)
    with pytest.raises(ValueError):
        fit(model, X, y, progress=False, **kwargs)


def test_get_optimizer_names():
    ps = nnlib.build_mlp(2, [], 2, seed=0).parameters()
    m, n = get_optimizer("momentum", ps), get_optimizer("nesterov", ps)
    assert (m.momentum, m.nesterov) == (0.9, False)
    assert (n.momentum, n.nesterov) == (0.9, True)
    assert get_optimizer("Adam", ps, lr=0.5).lr == 0.5
    opt = SGD(ps)
    assert get_optimizer(opt, ps) is opt
    single = nnlib.Parameter(np.zeros(2), "W")
    assert SGD(single).params == [single]                 # one Parameter, or a generator
    assert len(SGD(p for p in ps).params) == len(ps)


def test_clip_grad_norm_accepts_any_iterable_and_leaves_small_gradients():
    ps = nnlib.build_mlp(2, [], 2, seed=0).parameters()
    for p in ps:
        p.grad[...] = 0.1
    norm = clip_grad_norm(iter(ps), 10.0)
    assert norm == pytest.approx(np.sqrt(6 * 0.01), rel=1e-6)
    assert all(np.all(p.grad == np.float32(0.1)) for p in ps)


def test_fit_history_has_one_record_per_epoch_and_the_model_stays_in_training_mode():
    X, y = np.random.default_rng(0).standard_normal((10, 2)), np.arange(10) % 2
    model = nnlib.build_mlp(2, [3], 2, dropout=0.5, seed=0)
    h = fit(model, X, y, epochs=3, callbacks=(cb for cb in [EarlyStopping("train_loss")]),
            progress=False)
    assert [len(getattr(h, k)) for k in h.KEYS] == [3] * len(h.KEYS)
    assert model.training and all(layer.training for layer in model)
    model.eval()
    evaluate(model, X, y)
    assert not model.training                             # evaluate restores the mode
    model.train()
    predict_outputs(model, X.tolist())                    # a list is fine
    assert model.training


def test_a_label_equal_to_the_number_of_outputs_is_refused():
    X, y = np.zeros((4, 2)), np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="holds class 2 but the model has 2 outputs"):
        fit(nnlib.build_mlp(2, [], 2, seed=0), X, y, progress=False)


@pytest.mark.parametrize("bad", [(np.zeros((2, 2)),), (np.zeros((2, 2)), np.zeros(2), 1)])
def test_validation_data_must_be_a_pair(bad):
    with pytest.raises(ValueError, match="validation_data must be a pair"):
        fit(nnlib.build_mlp(2, [], 2, seed=0), np.zeros((4, 2)), np.array([0, 1, 0, 1]),
            validation_data=bad, progress=False)


def test_early_stopping_an_equal_value_is_not_an_improvement_and_patience_zero_stops_at_once():
    h = nnlib.History()
    stopper = EarlyStopping("val_loss", patience=0, restore_best=False)
    model = nnlib.build_mlp(2, [], 2, seed=0)
    stopper.on_train_begin(model)
    h.val_loss.append(1.0)
    assert stopper.on_epoch_end(0, h, model) is False      # the first value is the best
    h.val_loss.append(1.0)                                # equal: no improvement
    assert stopper.on_epoch_end(1, h, model) is True and stopper.best_epoch == 0
    assert Callback().on_epoch_end(0, h, model) is False


@pytest.mark.parametrize("kwargs,words", [
    (dict(channels=(16, 0)), "channels"), (dict(hidden=0), "hidden"), (dict(n_out=0), "n_out")])
def test_build_cnn_refuses_bad_sizes(kwargs, words):
    with pytest.raises(ValueError, match=words):
        build_cnn(seed=0, **kwargs)


def test_im2col_refuses_integer_images_and_a_kernel_larger_in_one_direction():
    with pytest.raises(ValueError, match="floating-point"):
        im2col(np.zeros((1, 1, 4, 4), dtype=int), 3)
    with pytest.raises(ValueError):
        im2col(np.zeros((1, 1, 4, 8)), (5, 3))


# ------------------------------------------------------------------ second round of survivors
def test_classifier_takes_lists_records_its_history_and_uses_validation_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    y = (X[:, 0] > 0).astype(int)
    clf = nnlib.NeuralNetClassifier(hidden_sizes=(4,), epochs=3, seed=0)
    clf.fit(X.tolist(), y.tolist(), X_val=X[:7], y_val=y[:7])          # 7 rows, 2 columns
    assert len(clf.history_) == 3 and clf.n_iter_ == 3
    assert len(clf.validation_loss_curve_) == 3
    assert clf.predict(X.tolist()).shape == (30,)
    with pytest.raises(ValueError, match="y_val has 6 labels but X_val has 7 rows"):
        clf.fit(X, y, X_val=X[:7], y_val=y[:6])


def test_fit_takes_lists():
    h = fit(nnlib.build_mlp(2, [], 2, seed=0), [[0.0, 1.0], [1.0, 0.0]], [0, 1], epochs=1,
            progress=False)
    assert len(h) == 1


def test_fit_trains_in_training_mode_even_after_eval():
    seen = []

    class Mode(nnlib.Module):
        def forward(self, x):
            seen.append(self.training)
            return x

        def backward(self, grad_out, need_input_grad=True):
            return grad_out

    model = nnlib.Sequential(nnlib.Dense(2, 2, seed=0), Mode()).eval()
    fit(model, np.zeros((8, 2)), np.arange(8) % 2, epochs=1, batch_size=4, progress=False)
    assert seen[1:3] == [True, True]                       # the two training batches
    assert model.training


def test_the_divergence_threshold_scales_with_a_large_loss():
    """Targets of size 100: a mean squared error of thousands is no divergence."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = 100 * (X @ np.array([[1.0], [-2.0], [0.5]]))
    model = nnlib.build_mlp(3, [], 1, seed=0, dtype=np.float64)
    h = fit(model, X, y, loss=nnlib.MeanSquaredError(), optimizer="sgd", lr=0.01, epochs=3,
            batch_size=16, progress=False)
    assert h.train_loss[0] > 1000 and h.train_loss[-1] < h.train_loss[0]


def test_clip_grad_norm_scale_is_exact():
    p = nnlib.Parameter(np.array([3.0, 4.0]), "W")
    p.grad[...] = [3.0, 4.0]
    assert clip_grad_norm([p], 1.0) == 5.0
    np.testing.assert_allclose(p.grad, np.array([3.0, 4.0]) * (1.0 / (5.0 + 1e-6)),
                               rtol=1e-14)


def test_a_1x1_max_pool_returns_a_new_array():
    x = np.random.default_rng(0).standard_normal((2, 1, 3, 3))
    out = nnlib.MaxPool2D(1).forward(x)
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)


def test_im2col_checks_the_padded_size():
    x = np.zeros((1, 1, 4, 4))
    assert im2col(x, 6, padding=1).shape == (36, 1)            # 6 = 4 + 2 * 1 fits
    with pytest.raises(ValueError):
        im2col(x, 7, padding=1)                                # 7 > 6 does not
