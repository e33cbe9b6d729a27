"""Bad input gets a clear error before any work, or is handled by a stated rule; nothing is
accepted silently. Cases from the audit of issue 23 (see CONTRIBUTING.md, "Bad input")."""

import numpy as np
import pytest

import nnlib
from nnlib import Dense, Dropout, MeanSquaredError, Perceptron, ReLU, Sigmoid, Softmax, Tanh


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
