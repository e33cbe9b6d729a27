"""Bad input gets a clear error before any work, or is handled by a stated rule; nothing is
accepted silently. Cases from the audit of issue 23 (see CONTRIBUTING.md, "Bad input")."""

import types
from pathlib import Path

import numpy as np
import pytest

import nnlib
from nnlib import (
    BinaryCrossEntropy,
    Dense,
    Dropout,
    MeanSquaredError,
    Perceptron,
    ReLU,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    Tanh,
    conv,
    gradcheck,
    training,
)
from nnlib import init as nninit
from nnlib.augmentation import RandomShift, random_shift, shift_images
from nnlib.core import Module, Parameter
from nnlib.optim import Optimizer
from nnlib.validation import NonFiniteError


@pytest.mark.parametrize("fn", [nnlib.sigmoid, nnlib.softmax, nnlib.log_softmax])
def test_integer_input_to_activation_functions_is_computed_in_float64(fn):
    z = np.array([[0, 1, 2, -3]])
    out = fn(z)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, fn(z.astype(np.float64)), rtol=1e-15)
    assert z.dtype.kind == "i" and z.tolist() == [[0, 1, 2, -3]]     # the input is untouched
    if fn is nnlib.sigmoid:
        assert out[0, 1] == pytest.approx(1 / (1 + np.exp(-1)))       # not 0


@pytest.mark.parametrize("fn", [nnlib.sigmoid, nnlib.softmax, nnlib.log_softmax])
def test_non_numbers_to_activation_functions_are_refused(fn):
    with pytest.raises(TypeError, match="real numbers"):
        fn(np.array([["a", "b"]]))


@pytest.mark.parametrize("layer", [ReLU(), nnlib.LeakyReLU(0.1), Sigmoid(), Tanh(), Softmax(),
                                   Dense(3, 2, seed=0), Dropout(0.5, seed=0),
                                   nnlib.Conv2D(1, 2, 3, seed=0), nnlib.MaxPool2D(2),
                                   nnlib.Flatten(), nnlib.Reshape((3,))])
def test_backward_before_forward_says_so(layer):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((2, 3)))


def test_dropout_backward_after_an_eval_forward_is_the_identity():
    d = Dropout(0.5, seed=0).eval()
    d.forward(np.ones((2, 3)))
    g = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(d.backward(g), g)


@pytest.mark.parametrize("P,T", [
    (np.ones((4, 3)), np.ones((3, 4))),          # transposed: the same size, not the same shape
    (np.ones((6, 2)), np.ones((4, 3))),
    (np.ones((4, 1)), np.ones(5)),
    (np.ones(4), np.ones((2, 2))),
])
def test_mse_target_of_another_shape_is_refused(P, T):
    with pytest.raises(ValueError, match="target must have shape"):
        MeanSquaredError().forward(P, T)


@pytest.mark.parametrize("P,T", [(np.zeros((4, 1)), np.ones(4)), (np.zeros(4), np.ones((4, 1)))])
def test_mse_accepts_a_column_against_a_vector(P, T):
    assert MeanSquaredError().forward(P, T) == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, bool, np.complex128, "int8"])
def test_dense_with_a_non_float_dtype_is_refused(dtype):
    with pytest.raises(TypeError, match="floating-point"):
        Dense(3, 2, dtype=dtype)


def test_perceptron_score_with_a_column_of_labels_is_refused():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [-1.0, -2.0]])
    y = np.array([0, 1, 1, 0])
    clf = Perceptron(seed=0).fit(X, y)
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        clf.score(X, y[:, None])


@pytest.mark.parametrize("kwargs,exc,words", [
    (dict(history={}), TypeError, "history must be an nnlib History"),
    (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
    (dict(augment=3), TypeError, "augment must be callable"),
    (dict(validation_data=(np.zeros((3, 3)), np.array([0, 1, 7]))), ValueError,
     "y_val holds class 7 but the model has 2 outputs"),
    (dict(validation_data=(np.zeros((3, 2)), np.array([0, 1, 1]))), ValueError,
     "X_val has 2 columns"),
    (dict(schedule="cosine"), TypeError, "schedule must be callable"),
    (dict(epochs=0), ValueError, "epochs"),
])
def test_fit_checks_before_any_work(kwargs, exc, words):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), np.arange(8) % 2
    model = nnlib.build_mlp(3, [], 2, seed=0, dtype=np.float64)
    before = [p.value.copy() for p in model.parameters()]
    X0, y0 = X.copy(), y.copy()
    with pytest.raises(exc, match=words):
        nnlib.fit(model, X, y, progress=False, **kwargs)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, b)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_labels_out_of_range_for_the_model_fail_before_an_epoch():
    X, y = np.zeros((6, 3)), np.array([0, 1, 2, 3, 4, 9])
    with pytest.raises(ValueError, match="y holds class 9 but the model has 5 outputs"):
        nnlib.fit(nnlib.build_mlp(3, [], 5, seed=0), X, y, progress=False)


# ============================================================================================
# One table: bad input to every public part of nnlib (the dataset layer has its own table in
# tests/test_datasets_faults.py). Each row names the exact exception class and words of its
# message, and the test checks that the failed call changed nothing: every array, model,
# optimizer, estimator, scaler, callback and file of the world the call could reach.
# ============================================================================================
_SCALARS = (type(None), bool, int, float, complex, str, bytes, slice, np.generic, np.dtype, type)


def snapshot(obj, caches=True, _path=()):
    """A deep copy of the state of ``obj``, as nested tuples and dicts that compare with ``==``.

    Arrays become (dtype, shape, bytes): equal means the same dtype, shape and bits (NaN
    equals NaN, -0.0 differs from 0.0). Modules: every attribute (parameters with value
    *and* grad, and which arrays those are: a parameter rebound to another array counts as
    a change), the training mode, the RNG of a Dropout, the caches of the last forward pass
    (``caches=False`` leaves out the attributes starting with ``_`` of Modules). Optimizers:
    lr, t, the hyper-parameters, every moment buffer (in their flat groups), and whether the
    parameters are still the optimizer's views. Estimators, scalers, callbacks, schedules:
    every attribute. A Path: the bytes of the file, or the listing and bytes of a folder.
    """
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, float) and obj != obj:
        return ("nan",)                      # so that a NaN field equals itself
    if isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, Path):
        if obj.is_dir():
            return ("dir", {p.name: snapshot(p) for p in sorted(obj.iterdir())})
        return ("file", obj.read_bytes()) if obj.exists() else ("missing",)
    if isinstance(obj, np.random.Generator):
        return ("Generator", repr(obj.bit_generator.state))
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return ("function", id(obj))
    if id(obj) in _path:
        return ("cycle", id(obj))
    path = _path + (id(obj),)
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(snapshot(v, caches, path) for v in obj))
    if isinstance(obj, dict):
        return ("dict", {k: snapshot(v, caches, path) for k, v in obj.items()})
    if isinstance(obj, Parameter):
        return ("Parameter", obj.name, id(obj.value), id(obj.grad),
                snapshot(obj.value), snapshot(obj.grad))
    fields = dict(vars(obj))
    if isinstance(obj, Module):
        fields["training"] = obj.training        # a class default until train()/eval()
        if not caches:
            fields = {k: v for k, v in fields.items() if not k.startswith("_")}
    if isinstance(obj, Optimizer):
        fields["<views intact>"] = all(group.intact() for group in obj.groups)
    return (type(obj).__name__, {k: snapshot(v, caches, path) for k, v in fields.items()})


def differences(before, after, where="world"):
    """Where two snapshots differ, e.g. ``world.opt.lr: 0.01 became 0.5`` (for the message)."""
    if before == after:
        return []
    if type(before) is not type(after):
        return [f"{where}: {before!r:.200} became {after!r:.200}"]
    if isinstance(before, dict):
        if before.keys() != after.keys():
            return [f"{where}: keys {sorted(map(str, before))} became {sorted(map(str, after))}"]
        return [d for k in before for d in differences(before[k], after[k], f"{where}.{k}")]
    if isinstance(before, tuple) and len(before) == len(after):
        kind = before[0] if before and isinstance(before[0], str) else None
        if kind == "ndarray" and before[1:3] == after[1:3]:
            b, a = (np.frombuffer(x[3], x[1]).reshape(x[2]) for x in (before, after))
            bits = (b.view(np.uint8).reshape(b.shape + (-1,))
                    != a.view(np.uint8).reshape(a.shape + (-1,))).any(axis=-1)
            first = tuple(int(i) for i in np.argwhere(bits)[0])
            return [f"{where}: {int(bits.sum())} values changed, the first at {first}: "
                    f"{b[first]!r} became {a[first]!r}"]
        if kind == "Parameter":
            names = ("kind", "name", "id(value)", "id(grad)", "value", "grad")
            return [d for n, b, a in zip(names, before, after)
                    for d in differences(b, a, f"{where}.{n}")]
        if kind is not None and len(before) == 2:        # (type name, fields or items)
            return differences(before[1], after[1], where)
        return [d for i, (b, a) in enumerate(zip(before, after))
                for d in differences(b, a, f"{where}[{i}]")]
    return [f"{where}: {before!r:.200} became {after!r:.200}"]


def assert_unchanged(before, after):
    assert before == after, "the failed call changed: " + "; ".join(differences(before, after)[:5])


class TwoWs(Module):
    """Two Parameters named "W" in one module: one of them would be lost on save."""

    def __init__(self):
        self.W = Parameter(np.zeros(2), "W")
        self.V = Parameter(np.ones(2), "W")


class World:
    """Everything a bad call may reach, built fresh for each row (no fixtures besides a folder).

    The models have taken a training step, so their gradients, caches, Adam moments and step
    count are not zeros that a failed call could "restore" by accident; the estimators are
    fitted; the folder holds a good model file and every kind of bad one.
    """

    def __init__(self, folder: Path | None, files: bool = True):
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((12, 3))
        self.y = np.arange(12) % 3
        self.Xv, self.yv = rng.standard_normal((6, 3)), np.arange(6) % 3
        self.X_nan = self.X.copy()
        self.X_nan[2, 1] = np.nan
        self.X_inf = self.X.copy()
        self.X_inf[0, 0] = -np.inf
        self.X_int = np.arange(36).reshape(12, 3)
        self.X_str = np.array([["a", "b", "c"]] * 12)
        self.y01 = self.y % 2
        self.y_float = self.y.astype(np.float64)
        self.y_half = self.y + 0.5
        self.y_big = self.y.copy()
        self.y_big[4] = 5
        self.y_neg = self.y - 1
        self.y_onehot = np.eye(3, dtype=np.int64)[self.y]
        self.y_str = np.array(list("abcabcabcabc"))
        self.y_scalar = np.array(1.0)
        self.y_nan = self.y_float.copy()
        self.y_nan[3] = np.nan
        self.img = rng.standard_normal((4, 1, 6, 6))
        self.img3 = rng.standard_normal((4, 3, 6, 6))
        self.img_nan = self.img.copy()
        self.img_nan[1, 0, 2, 2] = np.nan
        self.flat_img = self.img.reshape(4, 36).copy()
        self.G43 = rng.standard_normal((4, 3))

        # a model that has taken one Adam step: grads, caches, moments and t are all set
        self.model = nnlib.build_mlp(3, [4], 3, dropout=0.25, seed=0, dtype=np.float64)
        self.params = self.model.parameters()
        self.opt = nnlib.Adam(self.params, lr=0.01)
        loss = nnlib.SoftmaxCrossEntropy()
        loss.forward(self.model.forward(self.X), self.y)
        self.model.backward(loss.backward())
        self.opt.step()
        self.other = nnlib.build_mlp(3, [], 3, seed=1, dtype=np.float64)
        self.other_opt = nnlib.SGD(self.other.parameters(), lr=0.1)
        self.bin_model = nnlib.build_mlp(3, [], 1, seed=2, dtype=np.float64)
        self.fresh = nnlib.Sequential(nnlib.Dense(3, 2, seed=0), ReLU())     # never run

        # single layers, each after one forward pass
        self.dense = Dense(3, 2, seed=0, dtype=np.float64)
        self.dense.forward(self.X[:4])
        self.relu, self.lrelu, self.sig, self.tanh, self.soft = (
            ReLU(), nnlib.LeakyReLU(0.1), Sigmoid(), Tanh(), Softmax())
        self.drop = Dropout(0.5, seed=0)
        for layer in (self.relu, self.lrelu, self.sig, self.tanh, self.soft, self.drop):
            layer.forward(self.G43)
        self.conv = nnlib.Conv2D(1, 2, 3, padding=1, seed=0, dtype=np.float64)
        self.pool, self.flat = nnlib.MaxPool2D(2), nnlib.Flatten()
        self.flat.forward(self.pool.forward(self.conv.forward(self.img)))
        self.reshape = nnlib.Reshape((1, 6, 6))
        self.reshape.forward(self.flat_img)
        self.cols = conv.im2col(self.img, 3)
        self.sce, self.bce, self.mse = SoftmaxCrossEntropy(), BinaryCrossEntropy(), MeanSquaredError()

        # estimators, scalers, callbacks, schedules, penalties
        self.clf = nnlib.NeuralNetClassifier(hidden_sizes=(4,), epochs=1, batch_size=12,
                                             seed=0).fit(self.X, self.y)
        self.clf_new = nnlib.NeuralNetClassifier(hidden_sizes=(4,), epochs=1)
        self.perc = Perceptron(max_epochs=3, seed=0).fit(self.X, self.y01)
        self.perc_new = Perceptron(seed=0)
        self.scaler = nnlib.StandardScaler().fit(self.X)
        self.minmax = nnlib.MinMaxScaler().fit(self.X)
        self.scaler_new = nnlib.StandardScaler()
        self.es = nnlib.EarlyStopping("train_loss", patience=2)
        self.es_val = nnlib.EarlyStopping("val_loss")
        self.sched = nnlib.CosineDecay(0.1, 10)
        self.reg = nnlib.L2(1e-3)

        # files: a good one, and one of each kind of bad one (only for the rows that use them)
        self.folder = folder
        if not files:
            return
        self.good = folder / "model.npz"
        nnlib.save_parameters(self.model, self.good)
        data = self.good.read_bytes()
        (folder / "truncated.npz").write_bytes(data[:len(data) // 2])
        (folder / "empty.npz").write_bytes(b"")
        np.save(folder / "single.npy", np.zeros(3))
        nnlib.save_parameters(self.other, folder / "other_keys.npz")
        nnlib.save_parameters(nnlib.build_mlp(3, [5], 3, dropout=0.25, seed=0), folder / "wide.npz")
        names = [n for n, _ in self.model.named_parameters()]
        np.savez(folder / "ints.npz", **{n: np.zeros(p.shape, dtype=np.int64)
                                         for n, p in zip(names, self.params)})
        np.savez(folder / "pickled.npz", **{n: np.empty(p.shape, dtype=object)
                                            for n, p in zip(names, self.params)})
        (folder / "a_folder").mkdir()


def R(name, call, exc, words, prep=None, probe=False):
    """A row: ``call(world)`` must raise exactly ``exc`` with ``words`` (a regex) in its message.

    ``prep(world)`` runs before the snapshot (e.g. setting a bad parameter of an estimator).
    ``probe=True``: the failure comes after fit's one-row check of the model (a forward pass
    of ``X[:1]`` in eval mode, which refreshes the layers' caches); everything else must be
    as it was, caches aside.
    """
    return pytest.param(call, exc, words, prep, probe, id=name)


nan, inf = float("nan"), float("inf")


def fit(*args, **kwargs):
    """``nnlib.fit`` without a progress bar unless a row passes ``progress``."""
    kwargs.setdefault("progress", False)
    return nnlib.fit(*args, **kwargs)


TABLE = [
    # ---------------------------------------------------------------- core and layers
    R("type:Dense-n_in-float", lambda w: Dense(2.5, 3), TypeError, r"n_in must be an integer, got 2\.5"),
    R("range:Dense-n_out-zero", lambda w: Dense(3, 0), ValueError, r"n_out must be >= 1, got 0"),
    R("option:Dense-init-unknown", lambda w: Dense(3, 2, init="he"), ValueError,
      r"unknown init 'he'; expected one of \['glorot_normal'"),
    R("option:Dense-init-list", lambda w: Dense(3, 2, init=["he_normal"]), ValueError,
      r"unknown init \['he_normal'\]"),
    R("type:Dense-seed-str", lambda w: Dense(3, 2, seed="0"), TypeError,
      r"seed must be an int, a numpy.random.Generator or None, got '0'"),
    R("type:Dense-dtype-None", lambda w: Dense(3, 2, dtype=None), TypeError,
      r"dtype must be a floating-point type .* got None"),
    R("type:Dense-dtype-unknown-name", lambda w: Dense(3, 2, dtype="no such type"), TypeError,
      r"dtype must be a floating-point type \(np.float32 or np.float64\), got 'no such type'"),
    R("shape:Dense-forward-columns", lambda w: w.dense.forward(w.X[:, :2]), ValueError,
      r"X must have 3 columns \(n_in of this Dense layer\), got shape \(12, 2\)"),
    R("shape:Dense-forward-1d", lambda w: w.dense.forward(w.X[0]), ValueError,
      r"X must be a 2-D array, got shape \(3,\)"),
    R("nonfinite:Dense-forward-nan", lambda w: w.dense.forward(w.X_nan), NonFiniteError,
      r"X contains 1 NaN and 0 infinite values"),
    R("type:Dense-forward-int-array", lambda w: w.dense.forward(w.X_int), ValueError,
      r"X must have a floating-point dtype .* got dtype int64"),
    R("type:Dense-forward-strings", lambda w: w.dense.forward(w.X_str), ValueError,
      r"X must have a floating-point dtype"),
    R("shape:Dense-backward-grad", lambda w: w.dense.backward(w.G43), ValueError,
      r"grad_out must have shape \(4, 2\), got \(4, 3\)"),
    R("type:Dense-backward-list", lambda w: w.dense.backward([[1.0, 2.0]] * 3), ValueError,
      r"grad_out must have shape \(4, 2\), got \(3, 2\)"),
    R("range:Dropout-p-one", lambda w: Dropout(1.0), ValueError, r"p must be in \[0, 1\), got 1"),
    R("type:Dropout-p-str", lambda w: Dropout("0.5"), TypeError, r"p must be a number, got '0.5'"),
    R("nonfinite:Dropout-p-nan", lambda w: Dropout(nan), ValueError, r"p must be finite, got nan"),
    R("shape:Dropout-backward-row", lambda w: w.drop.backward(w.G43[:1]), ValueError,
      r"grad_out must have shape \(4, 3\), got \(1, 3\)"),
    R("shape:ReLU-backward-row", lambda w: w.relu.backward(w.G43[:1]), ValueError,
      r"grad_out must have shape \(4, 3\), got \(1, 3\)"),
    R("shape:Sigmoid-backward-column", lambda w: w.sig.backward(w.G43[:, :1]), ValueError,
      r"grad_out must have shape \(4, 3\), got \(4, 1\)"),
    R("shape:Tanh-backward-transposed", lambda w: w.tanh.backward(w.G43.T), ValueError,
      r"grad_out must have shape \(4, 3\), got \(3, 4\)"),
    R("shape:LeakyReLU-backward-vector", lambda w: w.lrelu.backward(w.G43[0]), ValueError,
      r"grad_out must have shape \(4, 3\), got \(3,\)"),
    R("shape:Softmax-backward-row", lambda w: w.soft.backward(w.G43[:1]), ValueError,
      r"grad_out must have shape \(4, 3\), got \(1, 3\)"),
    R("range:LeakyReLU-slope-negative", lambda w: nnlib.LeakyReLU(-0.1), ValueError,
      r"negative_slope must be in \[0, 1\], got -0.1"),
    R("type:LeakyReLU-slope-bool", lambda w: nnlib.LeakyReLU(True), TypeError,
      r"negative_slope must be a number, got True"),
    R("option:get_activation-softmax", lambda w: nnlib.get_activation("softmax"), ValueError,
      r"unknown activation 'softmax'; expected one of \['identity'"),
    R("option:get_activation-None", lambda w: nnlib.get_activation(None), ValueError,
      r"unknown activation None"),
    R("type:sigmoid-complex", lambda w: nnlib.sigmoid(np.array([1 + 2j])), TypeError,
      r"x must hold real numbers, got dtype complex128"),
    R("type:softmax-object", lambda w: nnlib.softmax(np.array([[None, 1]])), TypeError,
      r"z must hold real numbers, got dtype object"),
    R("nonfinite:ReLU-forward-inf", lambda w: ReLU().forward(w.X_inf), NonFiniteError,
      r"x contains 0 NaN and 1 infinite values"),
    R("shape:Softmax-forward-4d", lambda w: Softmax().forward(w.img), ValueError,
      r"x must be a 2-D array, got shape \(4, 1, 6, 6\)"),
    R("type:Sequential-a-string", lambda w: nnlib.Sequential(w.dense, "relu"), TypeError,
      r"layer 1 must be an nnlib Module, got str"),
    R("twice:Sequential-same-layer", lambda w: nnlib.Sequential(w.dense, w.relu, w.relu),
      ValueError, r"layer 2 is the same object as layer 1"),
    R("twice:Sequential-same-dense", lambda w: nnlib.Sequential([w.model[0], ReLU(), w.model[0]]),
      ValueError, r"layer 2 is the same object as layer 0"),
    R("order:Sequential-backward-first", lambda w: w.fresh.backward(np.ones((2, 2))),
      RuntimeError, r"ReLU\.backward called before forward"),
    R("range:build_mlp-hidden-zero", lambda w: nnlib.build_mlp(3, [4, 0], 2), ValueError,
      r"hidden_sizes\[i\] must be >= 1, got 0"),
    R("type:build_mlp-hidden-str", lambda w: nnlib.build_mlp(3, "44", 2), TypeError,
      r"hidden_sizes\[i\] must be an integer, got '4'"),
    R("option:build_mlp-activation", lambda w: nnlib.build_mlp(3, [4], 2, activation="gelu"),
      ValueError, r"unknown activation 'gelu'"),
    R("type:build_mlp-activation-module", lambda w: nnlib.build_mlp(3, [4], 2, activation=ReLU()),
      TypeError, r"activation must be a name such as 'relu'"),
    R("range:build_mlp-dropout-one", lambda w: nnlib.build_mlp(3, [4], 2, dropout=1.0),
      ValueError, r"dropout must be in \[0, 1\), got 1"),
    R("type:build_mlp-dtype-int", lambda w: nnlib.build_mlp(3, [4], 2, dtype=np.int64),
      TypeError, r"dtype must be a floating-point type"),
    R("type:build_mlp-n_in-bool", lambda w: nnlib.build_mlp(True, [], 2), TypeError,
      r"n_in must be an integer, got True"),
    R("type:Module-astype-int", lambda w: w.model.astype(np.int32), TypeError,
      r"dtype must be a floating-point type .* got <class 'numpy.int32'>"),
    # ---------------------------------------------------------------- losses
    R("shape:SCE-logits-1d", lambda w: w.sce.forward(w.X[:, 0], w.y), ValueError,
      r"logits must be a 2-D array, got shape \(12,\)"),
    R("type:SCE-float-labels", lambda w: w.sce.forward(w.X, w.y_float), ValueError,
      r"y must hold integer class indices 0..K-1, got dtype float64"),
    R("range:SCE-label-too-big", lambda w: w.sce.forward(w.X, w.y_big), ValueError,
      r"y must be in 0..2, got values from 0 to 5"),
    R("range:SCE-label-negative", lambda w: w.sce.forward(w.X, w.y_neg), ValueError,
      r"y must be in 0..2, got values from -1 to 1"),
    R("shape:SCE-one-hot", lambda w: w.sce.forward(w.X, w.y_onehot), ValueError,
      r"y must be a 1-D array of class indices, got shape \(12, 3\); for one-hot labels"),
    R("shape:SCE-too-few-labels", lambda w: w.sce.forward(w.X, w.y[:5]), ValueError,
      r"y has 5 labels but the inputs have 12 rows"),
    R("nonfinite:SCE-logits-nan", lambda w: w.sce.forward(w.X_nan, w.y), NonFiniteError,
      r"logits contains 1 NaN"),
    R("order:SCE-backward-first", lambda w: w.sce.backward(), RuntimeError,
      r"SoftmaxCrossEntropy\.backward called before forward"),
    R("shape:BCE-two-columns", lambda w: w.bce.forward(w.X[:, :2], w.y01), ValueError,
      r"logits must have shape \(N,\) or \(N, 1\), got \(12, 2\)"),
    R("range:BCE-target-two", lambda w: w.bce.forward(w.X[:, 0], w.y), ValueError,
      r"target must be in \[0, 1\] \(class labels 0 and 1\), got values from 0.0 to 2.0"),
    R("type:BCE-target-strings", lambda w: w.bce.forward(w.X[:, 0], w.y_str), ValueError,
      r"target must hold numbers 0/1, got dtype <U1"),
    R("shape:BCE-target-size", lambda w: w.bce.forward(w.X[:, 0], w.y01[:5]), ValueError,
      r"target has 5 values but logits have 12 rows"),
    R("nonfinite:BCE-target-nan", lambda w: w.bce.forward(w.X[:, 0], w.y_nan), ValueError,
      r"target contains NaN or infinite values"),
    R("order:BCE-backward-first", lambda w: w.bce.backward(), RuntimeError,
      r"BinaryCrossEntropy\.backward called before forward"),
    R("type:MSE-target-strings", lambda w: w.mse.forward(w.X, w.X_str), ValueError,
      r"target must hold numbers, got dtype <U1"),
    R("shape:MSE-prediction-4d", lambda w: w.mse.forward(w.img, w.img), ValueError,
      r"prediction must be a 1 or 2-D array, got shape \(4, 1, 6, 6\)"),
    R("nonfinite:MSE-target-inf", lambda w: w.mse.forward(w.X, w.X_inf), NonFiniteError,
      r"target contains 0 NaN and 1 infinite values"),
    R("shape:MSE-target-columns", lambda w: w.mse.forward(w.X, w.X[:, :2]), ValueError,
      r"target must have shape \(12, 3\) .* got \(12, 2\)"),
    R("order:MSE-backward-first", lambda w: w.mse.backward(), RuntimeError,
      r"MeanSquaredError\.backward called before forward"),
    # ---------------------------------------------------------------- optimizers
    R("range:SGD-lr-negative", lambda w: nnlib.SGD(w.params, lr=-1), ValueError,
      r"lr must be in \(0, inf\], got -1"),
    R("type:SGD-lr-str", lambda w: nnlib.SGD(w.params, lr="0.1"), TypeError,
      r"lr must be a number, got '0.1'"),
    R("range:SGD-momentum-one", lambda w: nnlib.SGD(w.params, momentum=1.0), ValueError,
      r"momentum must be in \[0, 1\), got 1"),
    R("range:SGD-nesterov-without-momentum", lambda w: nnlib.SGD(w.params, nesterov=True),
      ValueError, r"nesterov=True needs momentum > 0"),
    R("range:SGD-weight-decay-negative", lambda w: nnlib.SGD(w.params, weight_decay=-1e-4),
      ValueError, r"weight_decay must be in \[0, inf\], got -0.0001"),
    R("range:SGD-no-params", lambda w: nnlib.SGD([]), ValueError,
      r"params is empty: the optimizer has nothing to update"),
    R("type:SGD-arrays", lambda w: nnlib.SGD([w.X]), TypeError,
      r"params must be nnlib Parameters \(model.parameters\(\)\), got ndarray"),
    R("twice:SGD-same-parameter", lambda w: nnlib.SGD(w.params + w.params[:1]), ValueError,
      r"params lists the same Parameter more than once \(W\)"),
    R("shape:Adam-betas-one", lambda w: nnlib.Adam(w.params, betas=(0.9,)), ValueError,
      r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
    R("range:Adam-beta2-above-one", lambda w: nnlib.Adam(w.params, betas=(0.9, 1.5)), ValueError,
      r"betas\[1\] must be in \[0, 1\), got 1.5"),
    R("range:Adam-eps-zero", lambda w: nnlib.Adam(w.params, eps=0), ValueError,
      r"eps must be in \(0, inf\], got 0"),
    R("nonfinite:Adam-lr-nan", lambda w: nnlib.Adam(w.params, lr=nan), ValueError,
      r"lr must be finite, got nan"),
    R("range:AdamW-weight-decay-negative", lambda w: nnlib.AdamW(w.params, weight_decay=-0.01),
      ValueError, r"weight_decay must be in \[0, inf\], got -0.01"),
    R("range:AdamW-beta1-one", lambda w: nnlib.AdamW(w.params, betas=(1.0, 0.9)), ValueError,
      r"betas\[0\] must be in \[0, 1\), got 1"),
    R("range:RMSProp-rho-one", lambda w: nnlib.RMSProp(w.params, rho=1.0), ValueError,
      r"rho must be in \[0, 1\), got 1"),
    R("type:RMSProp-rho-str", lambda w: nnlib.RMSProp(w.params, rho="0.9"), TypeError,
      r"rho must be a number, got '0.9'"),
    R("range:AdaGrad-eps-negative", lambda w: nnlib.AdaGrad(w.params, eps=-1e-8), ValueError,
      r"eps must be in \(0, inf\], got -1e-08"),
    R("nonfinite:AdaGrad-lr-inf", lambda w: nnlib.AdaGrad(w.params, lr=inf), ValueError,
      r"lr must be finite, got inf"),
    R("option:get_optimizer-unknown", lambda w: nnlib.get_optimizer("adamm", w.params),
      ValueError, r"unknown optimizer 'adamm'; expected one of \['adagrad'"),
    R("range:clip_grad_norm-zero", lambda w: nnlib.clip_grad_norm(w.params, 0), ValueError,
      r"max_norm must be in \(0, inf\], got 0"),
    R("type:clip_grad_norm-str", lambda w: nnlib.clip_grad_norm(w.params, "1"), TypeError,
      r"max_norm must be a number, got '1'"),
    R("twice:clip_grad_norm-same-parameter",
      lambda w: nnlib.clip_grad_norm([w.params[1], w.params[1]], 1.0), ValueError,
      r"params lists the same Parameter more than once \(b\)"),
    R("range:clip_grad_norm-no-params", lambda w: nnlib.clip_grad_norm([], 1.0), ValueError,
      r"params is empty"),
    # ---------------------------------------------------------------- schedules
    R("range:Constant-lr0-zero", lambda w: nnlib.Constant(0), ValueError,
      r"lr0 must be in \(0, inf\], got 0"),
    R("range:StepDecay-step-size-zero", lambda w: nnlib.StepDecay(0.1, 0), ValueError,
      r"step_size must be in \(0, inf\], got 0"),
    R("range:StepDecay-gamma-above-one", lambda w: nnlib.StepDecay(0.1, 2, gamma=1.5),
      ValueError, r"gamma must be in \(0, 1\], got 1.5"),
    R("range:ExponentialDecay-gamma-zero", lambda w: nnlib.ExponentialDecay(0.1, gamma=0),
      ValueError, r"gamma must be in \(0, 1\], got 0"),
    R("range:CosineDecay-total-zero", lambda w: nnlib.CosineDecay(0.1, 0), ValueError,
      r"total_epochs must be in \(0, inf\], got 0"),
    R("range:CosineDecay-lr-min-above-lr0", lambda w: nnlib.CosineDecay(0.1, 10, lr_min=0.2),
      ValueError, r"lr_min must be in \[0, 0.1\], got 0.2"),
    R("type:LinearWarmup-after-str", lambda w: nnlib.LinearWarmup(0.1, 2, after="cosine"),
      TypeError, r"after must be a schedule \(callable: epoch -> learning rate\), got 'cosine'"),
    R("range:LinearWarmup-steps-zero", lambda w: nnlib.LinearWarmup(0.1, 2, steps_per_epoch=0),
      ValueError, r"steps_per_epoch must be >= 1, got 0"),
    R("range:LinearWarmup-warmup-negative", lambda w: nnlib.LinearWarmup(0.1, -2), ValueError,
      r"warmup_epochs must be in \(0, inf\], got -2"),
    R("type:Schedule-values-str", lambda w: w.sched.values("3"), TypeError,
      r"epochs must be an integer, got '3'"),
    R("range:Schedule-values-negative", lambda w: w.sched.values(-1), ValueError,
      r"epochs must be >= 0, got -1"),
    R("schedule:fit-negative-rate", lambda w: fit(w.model, w.X, w.y, optimizer=w.opt,
                                                schedule=lambda e: -0.1),
      ValueError, r"schedule returned the learning rate -0.1 at epoch 0; expected a finite "
                  r"number > 0", probe=True),
    R("schedule:fit-nan-rate", lambda w: fit(w.model, w.X, w.y, optimizer=w.opt,
                                           schedule=lambda e: nan),
      ValueError, r"schedule returned the learning rate nan at epoch 0", probe=True),
    R("schedule:fit-string-rate", lambda w: fit(w.model, w.X, w.y, optimizer=w.opt,
                                              schedule=lambda e: "0.1"),
      ValueError, r"schedule returned the learning rate '0.1' at epoch 0", probe=True),
    R("schedule:fit-zero-rate", lambda w: fit(w.model, w.X, w.y, optimizer=w.opt,
                                            schedule=lambda e: 0),
      ValueError, r"schedule returned the learning rate 0 at epoch 0", probe=True),
    R("schedule:fit-not-callable", lambda w: fit(w.model, w.X, w.y, schedule=0.1), TypeError,
      r"schedule must be callable: schedule\(epoch\) -> learning rate"),
    # ---------------------------------------------------------------- training
    R("nonfinite:fit-X-nan", lambda w: fit(w.model, w.X_nan, w.y), NonFiniteError,
      r"X contains 1 NaN and 0 infinite values"),
    R("type:fit-X-int-array", lambda w: fit(w.model, w.X_int, w.y), ValueError,
      r"X must have a floating-point dtype"),
    R("shape:fit-y-too-short", lambda w: fit(w.model, w.X, w.y[:-1]), ValueError,
      r"y has 11 labels but the inputs have 12 rows"),
    R("type:fit-y-float", lambda w: fit(w.model, w.X, w.y_half), ValueError,
      r"y must hold integer class indices"),
    R("type:fit-loss-str", lambda w: fit(w.model, w.X, w.y, loss="mse"), TypeError,
      r"loss must be an nnlib Loss, got str"),
    R("type:fit-model-str", lambda w: fit("mlp", w.X, w.y), TypeError,
      r"model must be an nnlib Module, got str"),
    R("option:fit-optimizer-unknown", lambda w: fit(w.model, w.X, w.y, optimizer="adamm"),
      ValueError, r"unknown optimizer 'adamm'"),
    R("twice:fit-optimizer-of-another-model",
      lambda w: fit(w.model, w.X, w.y, optimizer=w.other_opt), ValueError,
      r"optimizer was created for other parameters than this model's"),
    R("range:fit-lr-zero", lambda w: fit(w.model, w.X, w.y, optimizer="sgd", lr=0), ValueError,
      r"lr must be in \(0, inf\], got 0"),
    R("range:fit-label-above-outputs-keeps-optimizer-lr",
      lambda w: fit(w.model, w.X, w.y_big, optimizer=w.opt, lr=0.5), ValueError,
      r"y holds class 5 but the model has 3 outputs \(classes 0..2\)", probe=True),
    R("type:fit-epochs-float", lambda w: fit(w.model, w.X, w.y, epochs=2.0), TypeError,
      r"epochs must be an integer, got 2.0"),
    R("range:fit-batch-size-zero", lambda w: fit(w.model, w.X, w.y, batch_size=0), ValueError,
      r"batch_size must be >= 1, got 0"),
    R("range:fit-eval-batch-size-negative",
      lambda w: fit(w.model, w.X, w.y, eval_batch_size=-1), ValueError,
      r"eval_batch_size must be >= 1, got -1"),
    R("range:fit-clip-norm-negative", lambda w: fit(w.model, w.X, w.y, clip_norm=-1),
      ValueError, r"clip_norm must be in \(0, inf\], got -1"),
    R("type:fit-regularizer-str", lambda w: fit(w.model, w.X, w.y, regularizer="l2"),
      TypeError, r"regularizer must be an nnlib Regularizer, got 'l2'"),
    R("type:fit-callbacks-function", lambda w: fit(w.model, w.X, w.y, callbacks=[print]),
      TypeError, r"callbacks must be nnlib Callbacks, got builtin_function_or_method"),
    R("type:fit-callbacks-not-a-list", lambda w: fit(w.model, w.X, w.y, callbacks=w.es),
      TypeError, r"callbacks must be a list of nnlib Callbacks, got EarlyStopping; "
                 r"write callbacks=\[EarlyStopping\(...\)\]"),
    R("type:fit-callbacks-None", lambda w: fit(w.model, w.X, w.y, callbacks=None), TypeError,
      r"callbacks must be a list of nnlib Callbacks, got NoneType"),
    R("twice:fit-same-callback", lambda w: fit(w.model, w.X, w.y, callbacks=[w.es, w.es]),
      ValueError, r"callbacks lists the same Callback more than once \(EarlyStopping\)"),
    R("order:fit-early-stopping-on-val-loss-without-validation",
      lambda w: fit(w.model, w.X, w.y, callbacks=[w.es_val]), ValueError,
      r"EarlyStopping monitors 'val_loss', which is not recorded; pass validation_data"),
    R("shape:fit-validation-not-a-pair", lambda w: fit(w.model, w.X, w.y,
                                                     validation_data=(w.Xv,)),
      ValueError, r"validation_data must be a pair \(X_val, y_val\), got tuple"),
    R("nonfinite:fit-X-val-inf", lambda w: fit(w.model, w.X, w.y,
                                             validation_data=(w.X_inf, w.y)),
      NonFiniteError, r"X_val contains 0 NaN and 1 infinite values"),
    R("shape:fit-y-val-too-short", lambda w: fit(w.model, w.X, w.y,
                                               validation_data=(w.Xv, w.yv[:5])),
      ValueError, r"y_val has 5 labels but the inputs have 6 rows"),
    R("type:fit-seed-str-keeps-optimizer-lr",
      lambda w: fit(w.model, w.X, w.y, optimizer=w.opt, lr=0.5, seed="0"), TypeError,
      r"seed must be an int, a numpy.random.Generator or None, got '0'"),
    R("type:fit-history-list", lambda w: fit(w.model, w.X, w.y, history=[]), TypeError,
      r"history must be an nnlib History \(from an earlier fit\), got list"),
    R("type:fit-shuffle-int", lambda w: fit(w.model, w.X, w.y, shuffle=1), TypeError,
      r"shuffle must be True or False, got 1"),
    R("type:fit-progress-str", lambda w: fit(w.model, w.X, w.y, progress="no"), TypeError,
      r"progress must be True or False, got 'no'"),
    R("shape:fit-BCE-with-three-outputs",
      lambda w: fit(w.model, w.X, w.y01, loss=w.bce, optimizer=w.opt), ValueError,
      r"BinaryCrossEntropy needs one output per row \(logits of shape \(N,\) or \(N, 1\)\); "
      r"the model has 3", probe=True),
    R("range:fit-BCE-label-two", lambda w: fit(w.bin_model, w.X, w.y, loss=w.bce),
      ValueError, r"y must hold 0/1 targets for BinaryCrossEntropy, got values from 0 to 2"),
    R("range:fit-BCE-y-val-negative",
      lambda w: fit(w.bin_model, w.X, w.y01, loss=w.bce, validation_data=(w.Xv, w.yv - 1)),
      ValueError, r"y_val must hold 0/1 targets for BinaryCrossEntropy, got values from -1 to 1"),
    R("shape:fit-MSE-target-of-another-shape",
      lambda w: fit(w.model, w.X, w.y_float, loss=w.mse, optimizer=w.opt), ValueError,
      r"y has shape \(12,\) but the model's outputs have 3 values per row", probe=True),
    R("shape:fit-MSE-scalar-target", lambda w: fit(w.model, w.X, w.y_scalar, loss=w.mse),
      ValueError, r"y has no rows but X has 12"),
    R("type:evaluate-loss-str", lambda w: nnlib.evaluate(w.model, w.X, w.y, loss_fn="mse"),
      TypeError, r"loss_fn must be an nnlib Loss, got str"),
    R("shape:evaluate-y-too-short", lambda w: nnlib.evaluate(w.model, w.X, w.y[:3]), ValueError,
      r"y has 3 labels but the inputs have 12 rows"),
    R("nonfinite:evaluate-X-nan", lambda w: nnlib.evaluate(w.model, w.X_nan, w.y),
      NonFiniteError, r"X contains 1 NaN"),
    R("range:predict_outputs-batch-zero",
      lambda w: training.predict_outputs(w.model, w.X, batch_size=0), ValueError,
      r"batch_size must be >= 1, got 0"),
    R("type:predict_outputs-batch-float",
      lambda w: training.predict_outputs(w.model, w.X, batch_size=2.5), TypeError,
      r"batch_size must be an integer, got 2.5"),
    R("type:predict_outputs-model-str", lambda w: training.predict_outputs("mlp", w.X),
      TypeError, r"model must be an nnlib Module, got str"),
    R("shape:predict_outputs-images", lambda w: training.predict_outputs(w.model, w.img),
      ValueError, r"X must be a 2-D array, got shape \(4, 1, 6, 6\)"),
    R("option:EarlyStopping-monitor", lambda w: nnlib.EarlyStopping("val_accuracy"), ValueError,
      r"unknown monitor 'val_accuracy'; expected val_loss, val_acc, train_loss or train_acc"),
    R("range:EarlyStopping-patience-negative", lambda w: nnlib.EarlyStopping(patience=-1),
      ValueError, r"patience must be >= 0, got -1"),
    R("type:EarlyStopping-patience-float", lambda w: nnlib.EarlyStopping(patience=2.5),
      TypeError, r"patience must be an integer, got 2.5"),
    R("range:EarlyStopping-min-delta-negative", lambda w: nnlib.EarlyStopping(min_delta=-0.1),
      ValueError, r"min_delta must be in \[0, inf\], got -0.1"),
    # ---------------------------------------------------------------- convolutions
    R("range:Conv2D-in-channels-zero", lambda w: nnlib.Conv2D(0, 2), ValueError,
      r"in_channels must be >= 1, got 0"),
    R("range:Conv2D-kernel-zero", lambda w: nnlib.Conv2D(1, 2, kernel_size=0), ValueError,
      r"kernel_size must be a positive integer or a pair of them, got 0"),
    R("shape:Conv2D-kernel-triple", lambda w: nnlib.Conv2D(1, 2, kernel_size=(3, 3, 3)),
      ValueError, r"kernel_size must be a positive integer or a pair of them, got \(3, 3, 3\)"),
    R("range:Conv2D-stride-zero", lambda w: nnlib.Conv2D(1, 2, stride=0), ValueError,
      r"stride must be a positive integer or a pair of them, got 0"),
    R("range:Conv2D-padding-negative", lambda w: nnlib.Conv2D(1, 2, padding=-1), ValueError,
      r"padding must be a non-negative integer or a pair of them, got -1"),
    R("option:Conv2D-init-unknown", lambda w: nnlib.Conv2D(1, 2, init="he"), ValueError,
      r"unknown init 'he'"),
    R("type:Conv2D-dtype-int", lambda w: nnlib.Conv2D(1, 2, dtype=np.int32), TypeError,
      r"dtype must be a floating-point type \(np.float32 or np.float64\)"),
    R("shape:Conv2D-forward-channels", lambda w: w.conv.forward(w.img3), ValueError,
      r"x must have 1 channels \(axis 1 of \(N, C, H, W\)\) for this Conv2D, got shape "
      r"\(4, 3, 6, 6\)"),
    R("shape:Conv2D-forward-rows", lambda w: w.conv.forward(w.X), ValueError,
      r"x must be a 4-D array, got shape \(12, 3\)"),
    R("nonfinite:Conv2D-forward-nan", lambda w: w.conv.forward(w.img_nan), NonFiniteError,
      r"x contains 1 NaN"),
    R("shape:Conv2D-kernel-larger-than-image", lambda w: nnlib.Conv2D(1, 2, 7).forward(w.img),
      ValueError, r"the 7x7 kernel is larger than the padded input 6x6"),
    R("shape:Conv2D-backward-grad", lambda w: w.conv.backward(w.img), ValueError,
      r"grad_out must have shape \(4, 2, 6, 6\), got \(4, 1, 6, 6\)"),
    R("range:MaxPool2D-kernel-zero", lambda w: nnlib.MaxPool2D(0), ValueError,
      r"kernel_size must be a positive integer or a pair of them, got 0"),
    R("type:MaxPool2D-stride-bool", lambda w: nnlib.MaxPool2D(2, stride=True), ValueError,
      r"stride must be a positive integer or a pair of them, got True"),
    R("shape:MaxPool2D-window-larger", lambda w: nnlib.MaxPool2D(8).forward(w.img), ValueError,
      r"the 8x8 pooling window is larger than the input 6x6"),
    R("shape:MaxPool2D-forward-3d", lambda w: w.pool.forward(w.img[:, 0]), ValueError,
      r"x must be a 4-D array, got shape \(4, 6, 6\)"),
    R("shape:MaxPool2D-backward-grad", lambda w: w.pool.backward(w.img), ValueError,
      r"grad_out must have shape \(4, 2, 3, 3\), got \(4, 1, 6, 6\)"),
    R("shape:Flatten-forward-1d", lambda w: w.flat.forward(w.X[0]), ValueError,
      r"x must be a batch \(N, ...\) with at least 2 dimensions, got shape \(3,\)"),
    R("shape:Flatten-backward-grad", lambda w: w.flat.backward(w.G43), ValueError,
      r"grad_out must have shape \(4, 18\), got \(4, 3\)"),
    R("range:Reshape-zero-entry", lambda w: nnlib.Reshape((0, 3)), ValueError,
      r"shape entries must be >= 1, got 0"),
    R("shape:Reshape-forward-size", lambda w: nnlib.Reshape((2, 2)).forward(w.X), ValueError,
      r"cannot reshape samples of shape \(3,\) \(3 values\) to \(2, 2\) \(4 values\)"),
    R("shape:Reshape-backward-input-shaped", lambda w: w.reshape.backward(w.flat_img), ValueError,
      r"grad_out must have shape \(4, 1, 6, 6\), got \(4, 36\)"),
    R("shape:build_cnn-input-2d", lambda w: nnlib.build_cnn(input_shape=(28, 28)), ValueError,
      r"input_shape must be \(channels, height, width\), got \(28, 28\)"),
    R("type:build_cnn-input-int", lambda w: nnlib.build_cnn(input_shape=28), TypeError,
      r"input_shape must be a tuple \(channels, height, width\), got 28"),
    R("type:build_cnn-channels-int", lambda w: nnlib.build_cnn(channels=16), TypeError,
      r"channels must be a sequence of int \(one per conv block\), got 16"),
    R("range:build_cnn-too-many-blocks",
      lambda w: nnlib.build_cnn(input_shape=(1, 4, 4), channels=(2, 2, 2)), ValueError,
      r"3 pooling blocks shrink \(4, 4\) below 2x2"),
    R("range:build_cnn-kernel-zero", lambda w: nnlib.build_cnn(kernel_size=0), ValueError,
      r"kernel_size must be >= 1, got 0"),
    R("range:build_cnn-dropout-negative", lambda w: nnlib.build_cnn(dropout=-0.1), ValueError,
      r"dropout must be in \[0, 1\), got -0.1"),
    R("shape:im2col-3d", lambda w: conv.im2col(w.img[:, 0], 3), ValueError,
      r"x must be a 4-D array, got shape \(4, 6, 6\)"),
    R("range:im2col-stride-pair-zero", lambda w: conv.im2col(w.img, 3, stride=(1, 0)), ValueError,
      r"stride must be a positive integer or a pair of them, got \(1, 0\)"),
    R("shape:im2col-kernel-larger", lambda w: conv.im2col(w.img, (3, 9)), ValueError,
      r"the 3x9 kernel is larger than the padded input 6x6 \(input 6x6, padding 0x0\)"),
    R("shape:col2im-cols", lambda w: conv.col2im(w.cols[:, :-1], w.img.shape, 3), ValueError,
      r"cols must have shape \(9, 64\) for images \(4, 1, 6, 6\), got \(9, 63\)"),
    R("type:col2im-cols-list", lambda w: conv.col2im([[1.0, 2.0]], w.img.shape, 3), ValueError,
      r"cols must have shape \(9, 64\) for images \(4, 1, 6, 6\), got \(1, 2\)"),
    R("range:conv_output_size-kernel-larger", lambda w: conv.conv_output_size(5, 7), ValueError,
      r"kernel 7 is larger than the padded input 5 \(size 5, padding 0\)"),
    R("range:conv_output_size-stride-zero", lambda w: conv.conv_output_size(28, 3, stride=0),
      ValueError, r"stride must be >= 1, got 0"),
    # ---------------------------------------------------------------- the classifier
    R("range:clf-lr-negative", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"lr must be in \(0, inf\], got -1", prep=lambda w: w.clf.set_params(lr=-1)),
    R("option:clf-activation", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"unknown activation 'softmax'", prep=lambda w: w.clf.set_params(activation="softmax")),
    R("option:clf-optimizer", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"unknown optimizer 'adamm'", prep=lambda w: w.clf.set_params(optimizer="adamm")),
    R("range:clf-epochs-zero", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"epochs must be >= 1, got 0", prep=lambda w: w.clf.set_params(epochs=0)),
    R("type:clf-batch-size-float", lambda w: w.clf.fit(w.X, w.y), TypeError,
      r"batch_size must be an integer, got 1.5", prep=lambda w: w.clf.set_params(batch_size=1.5)),
    R("range:clf-l1-negative", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"l1 must be in \[0, inf\], got -0.1", prep=lambda w: w.clf.set_params(l1=-0.1)),
    R("nonfinite:clf-l2-nan", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"l2 must be finite, got nan", prep=lambda w: w.clf.set_params(l2=nan)),
    R("range:clf-dropout-one", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"dropout must be in \[0, 1\), got 1", prep=lambda w: w.clf.set_params(dropout=1.0)),
    R("range:clf-validation-fraction-one", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"validation_fraction must be in \(0, 1\), got 1",
      prep=lambda w: w.clf.set_params(validation_fraction=1.0)),
    R("range:clf-patience-negative", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"patience must be >= 0, got -1", prep=lambda w: w.clf.set_params(patience=-1)),
    R("range:clf-hidden-size-zero", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"hidden_sizes\[i\] must be >= 1, got 0", prep=lambda w: w.clf.set_params(hidden_sizes=(4, 0))),
    R("range:clf-clip-norm-zero", lambda w: w.clf.fit(w.X, w.y), ValueError,
      r"clip_norm must be in \(0, inf\], got 0", prep=lambda w: w.clf.set_params(clip_norm=0)),
    R("type:clf-schedule-str", lambda w: w.clf.fit(w.X, w.y), TypeError,
      r"schedule must be callable", prep=lambda w: w.clf.set_params(schedule="cosine")),
    R("type:clf-seed-str", lambda w: w.clf.fit(w.X, w.y), TypeError,
      r"seed must be an int", prep=lambda w: w.clf.set_params(seed="0")),
    R("type:clf-early-stopping-str", lambda w: w.clf.fit(w.X, w.y), TypeError,
      r"early_stopping must be True or False, got 'no'",
      prep=lambda w: w.clf.set_params(early_stopping="no")),
    R("type:clf-progress-str", lambda w: w.clf.fit(w.X, w.y), TypeError,
      r"progress must be True or False, got 'no'", prep=lambda w: w.clf.set_params(progress="no")),
    R("type:clf-dtype-int", lambda w: w.clf.fit(w.X, w.y), TypeError,
      r"dtype must be a floating-point type", prep=lambda w: w.clf.set_params(dtype=np.int32)),
    R("option:clf-set-params-unknown", lambda w: w.clf.set_params(lr=0.5, hiden_sizes=(3,)),
      ValueError, r"unknown parameter 'hiden_sizes' for NeuralNetClassifier"),
    R("nonfinite:clf-fit-X-nan", lambda w: w.clf.fit(w.X_nan, w.y), NonFiniteError,
      r"X contains 1 NaN"),
    R("shape:clf-fit-X-1d", lambda w: w.clf.fit(w.X[:, 0], w.y), ValueError,
      r"X must be a 2-D array, got shape \(12,\)"),
    R("shape:clf-fit-y-column", lambda w: w.clf.fit(w.X, w.y[:, None]), ValueError,
      r"y must be a 1-D array of class labels, got shape \(12, 1\)"),
    R("shape:clf-fit-y-too-short", lambda w: w.clf.fit(w.X, w.y[:-1]), ValueError,
      r"y has 11 labels but X has 12 rows"),
    R("type:clf-fit-y-half-integers", lambda w: w.clf.fit(w.X, w.y_half), ValueError,
      r"y must hold class labels \(integers or strings\), got non-integer or non-finite floats"),
    R("type:clf-fit-y-complex", lambda w: w.clf.fit(w.X, w.y + 0j), ValueError,
      r"y must hold class labels, got dtype complex128"),
    R("range:clf-fit-one-class", lambda w: w.clf.fit(w.X, w.y * 0), ValueError,
      r"y must contain at least 2 classes, got 1"),
    R("order:clf-fit-X-val-without-y-val", lambda w: w.clf.fit(w.X, w.y, X_val=w.Xv),
      ValueError, r"pass both X_val and y_val, or neither"),
    R("shape:clf-fit-X-val-features", lambda w: w.clf.fit(w.X, w.y, w.Xv[:, :2], w.yv),
      ValueError, r"X_val has 2 features but X has 3"),
    R("range:clf-fit-y-val-unseen-label", lambda w: w.clf.fit(w.X, w.y, w.Xv, w.yv + 5),
      ValueError, r"y_val has labels not seen in training: \[5 6 7\]"),
    R("order:clf-predict-before-fit", lambda w: w.clf_new.predict(w.X), ValueError,
      r"this NeuralNetClassifier is not fitted yet; call fit\(X, y\) first"),
    R("order:clf-predict-proba-before-fit", lambda w: w.clf_new.predict_proba(w.X), ValueError,
      r"not fitted yet"),
    R("order:clf-score-before-fit", lambda w: w.clf_new.score(w.X, w.y), ValueError,
      r"not fitted yet"),
    R("shape:clf-predict-features", lambda w: w.clf.predict(w.X[:, :2]), ValueError,
      r"X has 2 features, the model was fitted on 3"),
    R("shape:clf-predict-1d", lambda w: w.clf.predict(w.X[0]), ValueError,
      r"X must be a 2-D array, got shape \(3,\)"),
    R("nonfinite:clf-predict-proba-inf", lambda w: w.clf.predict_proba(w.X_inf), NonFiniteError,
      r"X contains 0 NaN and 1 infinite values"),
    R("shape:clf-score-y-column", lambda w: w.clf.score(w.X, w.y[:, None]), ValueError,
      r"y must have shape \(12,\), got \(12, 1\)"),
    R("shape:clf-score-y-too-short", lambda w: w.clf.score(w.X, w.y[:-1]), ValueError,
      r"y must have shape \(12,\), got \(11,\)"),
    # ---------------------------------------------------------------- the perceptron
    R("range:Perceptron-three-classes", lambda w: w.perc.fit(w.X, w.y), ValueError,
      r"y must contain exactly two classes, got 3"),
    R("shape:Perceptron-y-column", lambda w: w.perc.fit(w.X, w.y01[:, None]), ValueError,
      r"y must be 1-D with 12 labels, got shape \(12, 1\)"),
    R("range:Perceptron-lr-zero", lambda w: w.perc.fit(w.X, w.y01), ValueError,
      r"lr must be in \(0, inf\], got 0", prep=lambda w: setattr(w.perc, "lr", 0)),
    R("range:Perceptron-max-epochs-zero", lambda w: w.perc.fit(w.X, w.y01), ValueError,
      r"max_epochs must be >= 1, got 0", prep=lambda w: setattr(w.perc, "max_epochs", 0)),
    R("type:Perceptron-seed-str-keeps-classes", lambda w: w.perc.fit(w.X, w.y01 + 5), TypeError,
      r"seed must be an int", prep=lambda w: setattr(w.perc, "seed", "0")),
    R("type:Perceptron-shuffle-str", lambda w: w.perc.fit(w.X, w.y01), TypeError,
      r"shuffle must be True or False, got 'no'", prep=lambda w: setattr(w.perc, "shuffle", "no")),
    R("nonfinite:Perceptron-X-nan", lambda w: w.perc.fit(w.X_nan, w.y01), NonFiniteError,
      r"X contains 1 NaN"),
    R("order:Perceptron-predict-before-fit", lambda w: w.perc_new.predict(w.X), ValueError,
      r"this Perceptron is not fitted yet; call fit\(X, y\) first"),
    R("shape:Perceptron-decision-features", lambda w: w.perc.decision_function(w.X[:, :2]),
      ValueError, r"X has 2 features, the perceptron was fitted on 3"),
    R("shape:Perceptron-score-y-too-short", lambda w: w.perc.score(w.X, w.y01[:-1]), ValueError,
      r"y must have shape \(12,\) \(one label per row of X\), got \(11,\)"),
    # ---------------------------------------------------------------- preprocessing
    R("shape:StandardScaler-transform-features", lambda w: w.scaler.transform(w.X[:, :2]),
      ValueError, r"X has 2 features, but the scaler was fitted on 3"),
    R("nonfinite:StandardScaler-refit-nan", lambda w: w.scaler.fit(w.X_nan), NonFiniteError,
      r"X contains 1 NaN"),
    R("order:StandardScaler-transform-before-fit", lambda w: w.scaler_new.transform(w.X),
      ValueError, r"this StandardScaler is not fitted yet; call fit\(X_train\) first"),
    R("order:MinMaxScaler-inverse-before-fit", lambda w: nnlib.MinMaxScaler().inverse_transform(w.X),
      ValueError, r"this MinMaxScaler is not fitted yet"),
    R("shape:MinMaxScaler-refit-1d", lambda w: w.minmax.fit(w.X[:, 0]), ValueError,
      r"X must be a 2-D array, got shape \(12,\)"),
    R("shape:MinMaxScaler-inverse-features", lambda w: w.minmax.inverse_transform(w.X[:, :1]),
      ValueError, r"X has 1 features, but the scaler was fitted on 3"),
    R("shape:train_val_split-lengths", lambda w: nnlib.train_val_split(w.X, w.y[:-1]), ValueError,
      r"X has 12 rows but y has 11"),
    R("range:train_val_split-fraction-zero", lambda w: nnlib.train_val_split(w.X, w.y, 0),
      ValueError, r"val_fraction must be in \(0, 1\), got 0"),
    R("type:train_val_split-fraction-str", lambda w: nnlib.train_val_split(w.X, w.y, "0.2"),
      TypeError, r"val_fraction must be a number, got '0.2'"),
    R("range:train_val_split-one-row", lambda w: nnlib.train_val_split(w.X[:1], w.y[:1]),
      ValueError, r"need at least 2 samples to split"),
    R("shape:train_val_split-one-hot-stratified",
      lambda w: nnlib.train_val_split(w.X, w.y_onehot, 0.25), ValueError,
      r"y must be a 1-D array of class labels to stratify, got shape \(12, 3\)"),
    R("type:train_val_split-seed-float", lambda w: nnlib.train_val_split(w.X, w.y, seed=1.5),
      TypeError, r"seed must be an int"),
    R("type:one_hot-float-labels", lambda w: nnlib.one_hot(w.y_float), ValueError,
      r"y must hold integer class indices 0..K-1, got dtype float64"),
    R("range:one_hot-too-few-classes", lambda w: nnlib.one_hot(w.y, n_classes=2), ValueError,
      r"y must be in 0..1, got values from 0 to 2"),
    R("range:one_hot-zero-classes", lambda w: nnlib.one_hot(w.y, n_classes=0), ValueError,
      r"n_classes must be >= 1, got 0"),
    R("type:one_hot-classes-str", lambda w: nnlib.one_hot(w.y, n_classes="3"), TypeError,
      r"n_classes must be an integer, got '3'"),
    R("range:one_hot-negative-label", lambda w: nnlib.one_hot(w.y_neg), ValueError,
      r"y must be in non-negative values, got values from -1 to 1"),
    # ---------------------------------------------------------------- metrics
    R("shape:accuracy-column", lambda w: nnlib.accuracy(w.y, w.y[:, None]), ValueError,
      r"y_true and y_pred must have the same shape, got \(12,\) and \(12, 1\)"),
    R("shape:accuracy-empty", lambda w: nnlib.accuracy(w.y[:0], w.y[:0]), ValueError,
      r"y_true is empty"),
    R("type:confusion_matrix-float", lambda w: nnlib.confusion_matrix(w.y_half, w.y), ValueError,
      r"y_true must hold integer class indices"),
    R("shape:confusion_matrix-lengths", lambda w: nnlib.confusion_matrix(w.y, w.y[:-1]),
      ValueError, r"y_true has 12 labels but y_pred has 11"),
    R("range:confusion_matrix-too-few-classes",
      lambda w: nnlib.confusion_matrix(w.y, w.y, n_classes=2), ValueError,
      r"y_true must be in 0..1, got values from 0 to 2"),
    R("type:confusion_matrix-classes-str",
      lambda w: nnlib.confusion_matrix(w.y, w.y, n_classes="3"), TypeError,
      r"n_classes must be an integer, got '3'"),
    R("range:confusion_matrix-zero-classes",
      lambda w: nnlib.confusion_matrix(w.y, w.y, n_classes=0), ValueError,
      r"n_classes must be >= 1, got 0"),
    # ---------------------------------------------------------------- saving and loading
    R("file:load-missing", lambda w: nnlib.load_parameters(w.model, w.folder / "missing.npz"),
      FileNotFoundError, r"no saved model at .*missing\.npz"),
    R("file:load-truncated", lambda w: nnlib.load_parameters(w.model, w.folder / "truncated.npz"),
      ValueError, r"truncated\.npz is not a readable model file \(an \.npz written by "
                  r"save_parameters\)"),
    R("file:load-empty", lambda w: nnlib.load_parameters(w.model, w.folder / "empty.npz"),
      ValueError, r"empty\.npz is not a readable model file"),
    R("file:load-npy", lambda w: nnlib.load_parameters(w.model, w.folder / "single.npy"),
      ValueError, r"single\.npy holds a single array \(\.npy\), not a saved model"),
    R("file:load-other-keys", lambda w: nnlib.load_parameters(w.model, w.folder / "other_keys.npz"),
      ValueError, r"other_keys\.npz does not fit this model: missing \['3\.W', '3\.b'\]"),
    R("file:load-other-shapes", lambda w: nnlib.load_parameters(w.model, w.folder / "wide.npz"),
      ValueError, r"wide\.npz: 0\.W has shape \(3, 5\) in the file, the model expects \(3, 4\)"),
    R("file:load-integer-arrays", lambda w: nnlib.load_parameters(w.model, w.folder / "ints.npz"),
      ValueError, r"ints\.npz: 0\.W has dtype int64 in the file, the model expects float64"),
    R("file:load-pickled", lambda w: nnlib.load_parameters(w.model, w.folder / "pickled.npz"),
      ValueError, r"pickled\.npz is not a readable model file .*allow_pickle"),
    R("file:load-a-folder", lambda w: nnlib.load_parameters(w.model, w.folder / "a_folder"),
      ValueError, r"a_folder is not a readable model file"),
    R("type:load-path-None", lambda w: nnlib.load_parameters(w.model, None), TypeError,
      r"path must be a file path \(str or os\.PathLike\), got None"),
    R("type:load-into-a-string", lambda w: nnlib.load_parameters("model", w.good), TypeError,
      r"model must be an nnlib Module, got str"),
    R("file:save-into-missing-folder",
      lambda w: nnlib.save_parameters(w.model, w.folder / "nope" / "m.npz"), FileNotFoundError,
      r"cannot save to .*m\.npz: the folder .*nope does not exist"),
    R("twice:save-two-parameters-named-W", lambda w: nnlib.save_parameters(TwoWs(), w.good),
      ValueError, r"two arrays of the model are both named 'W'"),
    R("type:save-a-list", lambda w: nnlib.save_parameters(w.params, w.good), TypeError,
      r"model must be an nnlib Module, got list"),
    R("type:save-path-int", lambda w: nnlib.save_parameters(w.model, 3), TypeError,
      r"path must be a file path \(str or os\.PathLike\), got 3"),
    # ---------------------------------------------------------------- regularizers
    R("range:L1-negative", lambda w: nnlib.L1(-1), ValueError, r"lam must be in \[0, inf\], got -1"),
    R("type:L2-str", lambda w: nnlib.L2("0.1"), TypeError, r"lam must be a number, got '0.1'"),
    R("nonfinite:ElasticNet-l1-nan", lambda w: nnlib.ElasticNet(l1=nan), ValueError,
      r"l1 must be finite, got nan"),
    R("range:ElasticNet-l2-negative", lambda w: nnlib.ElasticNet(l2=-1e-4), ValueError,
      r"l2 must be in \[0, inf\], got -0.0001"),
    R("type:L2-penalty-of-arrays", lambda w: w.reg.penalty([w.X]), TypeError,
      r"params must be nnlib Parameters \(model.parameters\(\)\), got ndarray"),
    R("type:L1-add-gradient-int", lambda w: nnlib.L1(1e-3).add_gradient(5), TypeError,
      r"params must be a Module or a list of nnlib Parameters, got int"),
    # ---------------------------------------------------------------- augmentation
    R("shape:shift_images-shifts", lambda w: shift_images(w.img, w.y[:4]), ValueError,
      r"shifts must be an integer array of shape \(4, 2\), one \(dy, dx\) per image; got int64 "
      r"of shape \(4,\)"),
    R("type:shift_images-float-shifts", lambda w: shift_images(w.img, w.G43[:, :2]), ValueError,
      r"shifts must be an integer array of shape \(4, 2\)"),
    R("range:shift_images-too-far", lambda w: shift_images(w.img, np.full((4, 2), 6)), ValueError,
      r"a shift of 6 pixels moves a 6x6 image entirely out of the frame"),
    R("shape:shift_images-1d", lambda w: shift_images(w.flat_img[0], np.zeros((1, 2), int)),
      ValueError, r"images must be \(N, H, W\), \(N, C, H, W\) or flattened \(N, H\*W\), "
                  r"got shape \(36,\)"),
    R("shape:random_shift-image-shape", lambda w: random_shift(w.flat_img, 1, image_shape=(5, 5)),
      ValueError, r"image_shape=\(5, 5\) has 25 pixels but the rows of images have 36"),
    R("range:random_shift-negative", lambda w: random_shift(w.img, -1), ValueError,
      r"max_shift must be >= 0, got -1"),
    R("range:random_shift-too-far", lambda w: random_shift(w.img, 6), ValueError,
      r"max_shift=6 would move 6x6 images entirely out of the frame"),
    R("type:RandomShift-float", lambda w: RandomShift(1.5), TypeError,
      r"max_shift must be an integer, got 1.5"),
    R("shape:random_shift-rows-not-square", lambda w: random_shift(w.X, 1), ValueError,
      r"cannot infer the image shape of rows of 3 pixels; pass image_shape"),
    R("shape:fit-augment-rows-not-square",
      lambda w: fit(w.model, w.X, w.y, optimizer=w.opt, augment=RandomShift(1)), ValueError,
      r"cannot infer the image shape of rows of 3 pixels", probe=True),
    R("shape:fit-augment-returns-other-shape",
      lambda w: fit(w.model, w.X, w.y, optimizer=w.opt, augment=lambda X, rng: X[:, :2]),
      ValueError, r"augment must return a float array of shape \(12, 3\), got \(12, 2\) float64",
      probe=True),
    # ---------------------------------------------------------------- initialisation
    R("option:initialize-unknown", lambda w: nninit.initialize("he", 3, 2), ValueError,
      r"unknown init 'he'; expected one of"),
    R("range:initialize-n-in-zero", lambda w: nninit.initialize("he_normal", 0, 2), ValueError,
      r"n_in must be >= 1, got 0"),
    R("range:initialize-shape-zero", lambda w: nninit.initialize("zeros", 3, 2, shape=(3, 0)),
      ValueError, r"shape\[i\] must be >= 1, got 0"),
    R("type:initialize-dtype-int", lambda w: nninit.initialize("he_normal", 3, 2, dtype=np.int32),
      TypeError, r"dtype must be a floating-point type \(np.float32 or np.float64\)"),
    R("range:he_normal-n-in-zero", lambda w: nninit.he_normal(0, 3), ValueError,
      r"n_in must be >= 1, got 0"),
    R("range:xavier_uniform-n-out-negative", lambda w: nninit.xavier_uniform(3, -1), ValueError,
      r"n_out must be >= 1, got -1"),
    # ---------------------------------------------------------------- gradient checks
    R("type:check_module-a-string", lambda w: gradcheck.check_module("relu", w.X), TypeError,
      r"module must be an nnlib Module, got str"),
    R("type:check_loss-a-string", lambda w: gradcheck.check_loss("mse", w.X, w.X), TypeError,
      r"loss must be an nnlib Loss, got str"),
    R("type:numerical_gradient-list", lambda w: gradcheck.numerical_gradient(lambda: 0.0, [1.0]),
      TypeError, r"x must be a float ndarray \(it is perturbed in place\), got list"),
    R("shape:numerical_gradient-not-contiguous",
      lambda w: gradcheck.numerical_gradient(lambda: 0.0, w.X[:, ::2]), ValueError,
      r"x must be contiguous so that it can be perturbed in place"),
    R("type:numerical_gradient-f-not-callable",
      lambda w: gradcheck.numerical_gradient(0.0, w.X), TypeError,
      r"f must be callable: f\(\) -> float"),
    R("range:numerical_gradient-eps-zero",
      lambda w: gradcheck.numerical_gradient(lambda: 0.0, w.X, eps=0), ValueError,
      r"eps must be in \(0, inf\], got 0"),
]


def test_the_table_covers_every_category_with_over_100_distinct_rows():
    ids = [p.id for p in TABLE]
    assert len(ids) == len(set(ids)) >= 100
    categories = {i.split(":")[0] for i in ids}
    assert categories == {"type", "shape", "range", "nonfinite", "option", "order", "twice",
                          "schedule", "file"}


@pytest.mark.parametrize("call,exc,words,prep,probe", TABLE)
def test_bad_input_table(request, call, exc, words, prep, probe):
    files = bool({"folder", "good"} & set(call.__code__.co_names))
    world = World(request.getfixturevalue("tmp_path") if files else None, files=files)
    if prep is not None:
        prep(world)
    before = snapshot(vars(world), caches=not probe)
    with pytest.raises(exc, match=words) as info:
        call(world)
    assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"
    assert_unchanged(before, snapshot(vars(world), caches=not probe))
