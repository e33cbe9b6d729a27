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


# ------------------------------------------------------------------- third round of survivors
@pytest.mark.parametrize("shape,kernel,padding,words", [
    ((1, 1, 8, 4), (3, 5), 0, r"3x5 kernel is larger than the padded input 8x4"),
    ((1, 1, 8, 4), (3, 7), 1, r"3x7 kernel is larger than the padded input 10x6"),
    ((1, 1, 4, 8), (7, 3), 1, r"7x3 kernel is larger than the padded input 6x10"),
])
def test_im2col_names_a_kernel_larger_than_the_padded_input_in_either_direction(
        shape, kernel, padding, words):
    with pytest.raises(ValueError, match=words):
        im2col(np.zeros(shape), kernel, padding=padding)
    # one pixel less in the other direction is fine: the check is per direction
    im2col(np.zeros(shape), (min(kernel[0], shape[2]), min(kernel[1], shape[3])),
           padding=padding)


def test_flatten_and_reshape_take_nested_lists_and_refuse_non_positive_shapes():
    out = nnlib.Flatten().forward([[[1, 2], [3, 4]]])
    assert isinstance(out, np.ndarray) and out.shape == (1, 4) and out.dtype.kind == "f"
    np.testing.assert_array_equal(nnlib.Reshape((2, 2)).forward([[1.0, 2.0, 3.0, 4.0]]),
                                  [[[1.0, 2.0], [3.0, 4.0]]])
    for shape in [(0, 3), (2, -1)]:
        with pytest.raises(ValueError, match="shape entries"):
            nnlib.Reshape(shape)


def test_build_cnn_checks_every_channels_entry():
    with pytest.raises(ValueError, match=r"channels\[i\]"):
        build_cnn(input_shape=(1, 8, 8), channels=(4, 0), seed=0)


@pytest.mark.parametrize("input_shape", [(1, 2, 2), (1, 2, 6), (1, 6, 2)])
def test_build_cnn_accepts_images_down_to_2x2_for_one_block(input_shape):
    model = build_cnn(input_shape=input_shape, channels=(3,), hidden=5, seed=0)
    out = model.forward(np.zeros((4, int(np.prod(input_shape)))))
    assert out.shape == (4, 10)


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
def test_build_cnn_pads_to_keep_the_size(kernel_size):
    model = build_cnn(input_shape=(1, 8, 8), channels=(2, 3), kernel_size=kernel_size,
                      hidden=4, seed=0)
    convs = [layer for layer in model.layers if isinstance(layer, nnlib.Conv2D)]
    assert [c.padding for c in convs] == [(kernel_size // 2,) * 2] * 2
    assert model.forward(np.zeros((2, 64))).shape == (2, 10)


def test_optimizer_state_is_flushed_only_every_flush_period():
    p = nnlib.Parameter(np.ones(3, np.float32), "W")
    opt = Adam([p], lr=0.1)
    every = opt._flush_every["m"]
    assert every > 2
    opt.step()                                   # zero gradient: m decays by beta1 a step
    state = opt.groups[0].state
    state.m[...] = 1e-30                         # below the flushing threshold, still normal
    opt.step()                                   # t = 2: no flush yet
    np.testing.assert_allclose(state.m, 0.9e-30, rtol=1e-6)
    for _ in range(every - 2):                   # t = every: flushed
        opt.step()
    assert np.all(state.m == 0)


def test_fit_takes_callbacks_from_a_generator():
    calls = []

    class Count(Callback):
        def on_epoch_end(self, epoch, history, model):
            calls.append(epoch)
            return False

    X = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    y = np.arange(20) % 2
    model = nnlib.build_mlp(3, [4], 2, seed=0)
    fit(model, X, y, epochs=3, seed=0, progress=False, callbacks=(cb for cb in [Count()]))
    assert calls == [0, 1, 2]


def test_classifier_names_labels_unseen_in_training_five_at_most():
    X = np.random.default_rng(0).standard_normal((20, 2))
    y = np.arange(20) % 2
    clf = nnlib.NeuralNetClassifier(hidden_sizes=(3,), epochs=1, seed=0)
    y_val = np.array([0, 1, 10, 11, 12, 13, 14, 15])
    with pytest.raises(ValueError, match=r"y_val has labels not seen in training: \[10 11 12 13 14\]$"):
        clf.fit(X, y, X_val=X[:8], y_val=y_val)
    clf.fit(X, y, X_val=X[:8].tolist(), y_val=y[:8].tolist())      # lists are fine
    assert len(clf.history_.val_acc) == 1
