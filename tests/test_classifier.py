"""NeuralNetClassifier: the scikit-learn API, its parameters, and fit being all-or-nothing."""

import inspect

import numpy as np
import pytest

import nnlib
from nnlib import NeuralNetClassifier
from nnlib.training import TrainingDiverged


def blobs(n=120, seed=0, labels=("a", "b", "c")):
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 0], [3, 0], [0, 3]], dtype=float)[:len(labels)]
    k = rng.integers(0, len(labels), n)
    X = centers[k] + 0.5 * rng.standard_normal((n, 2))
    return X, np.asarray(labels)[k]


def test_get_params_lists_every_constructor_argument_and_clones():
    clf = NeuralNetClassifier(hidden_sizes=(7,), lr=0.01, l2=1e-3, seed=3)
    params = clf.get_params()
    assert list(params) == list(inspect.signature(NeuralNetClassifier).parameters)
    clone = NeuralNetClassifier(**params)
    assert clone.get_params() == params
    assert clf.set_params(lr=0.5) is clf and clf.lr == 0.5
    with pytest.raises(ValueError, match="unknown parameter 'learning_rate'"):
        clf.set_params(learning_rate=0.1)


def test_fit_predict_string_labels():
    X, y = blobs()
    clf = NeuralNetClassifier(hidden_sizes=(16,), lr=0.05, epochs=30, seed=0).fit(X, y)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.score(X, y) > 0.95
    assert clf.predict_proba(X).shape == (len(X), 3)


def _fitted_state(clf):
    return (clf.classes_.copy(), clf.model_, [p.value.copy() for p in clf.model_.parameters()],
            clf.n_iter_)


@pytest.mark.parametrize("bad", [
    lambda X, y: (X[:, :1], y),                     # fewer features: fine to refit...
    lambda X, y: (X, y[:-1]),                       # ...but not with too few labels
    lambda X, y: (np.where(np.arange(len(X))[:, None] == 3, np.nan, X), y),
    lambda X, y: (X, np.full(len(y), "a")),         # one class
    lambda X, y: (X, y[:, None]),                   # 2-D labels
])
def test_a_rejected_refit_leaves_the_fitted_estimator_unchanged(bad):
    X, y = blobs()
    clf = NeuralNetClassifier(hidden_sizes=(8,), epochs=3, seed=0).fit(X, y)
    classes, model, values, n_iter = _fitted_state(clf)
    Xb, yb = bad(X, y)
    if Xb.shape[1] == 1:          # a valid refit on 1 feature: it must work and replace all
        clf.fit(Xb, yb)
        assert clf.n_features_in_ == 1 and clf.model_ is not model
        return
    with pytest.raises(ValueError):
        clf.fit(Xb, yb)
    assert clf.model_ is model and clf.n_iter_ == n_iter
    np.testing.assert_array_equal(clf.classes_, classes)
    for p, v in zip(clf.model_.parameters(), values):
        np.testing.assert_array_equal(p.value, v)


def test_a_diverging_refit_keeps_the_previous_model_and_a_first_fit_stays_unfitted():
    X, y = blobs()
    X_new, y_new = X * 1e3, np.where(y == "a", "z", y)          # new classes, huge inputs
    clf = NeuralNetClassifier(hidden_sizes=(8,), lr=0.05, epochs=30, seed=0).fit(X, y)
    classes, model, values, _ = _fitted_state(clf)
    score = clf.score(X, y)
    clf.set_params(optimizer="sgd", lr=1e6)
    with pytest.raises(TrainingDiverged, match="rolled back"):
        clf.fit(X_new, y_new)
    assert clf.model_ is model
    np.testing.assert_array_equal(clf.classes_, classes)       # not the classes of the new call
    assert score > 0.9 and clf.score(X, y) == score             # still the old, working model
    fresh = NeuralNetClassifier(hidden_sizes=(8,), optimizer="sgd", lr=1e6, epochs=3, seed=0)
    with pytest.raises(TrainingDiverged):
        fresh.fit(X_new, y_new)
    with pytest.raises(ValueError, match="not fitted"):
        fresh.predict(X)                                        # never "class 0 for every row"


@pytest.mark.parametrize("l1,l2,kind", [(0.0, 0.01, nnlib.L2), (0.01, 0.0, nnlib.L1),
                                        (0.01, 0.02, nnlib.ElasticNet)])
def test_penalty_options_build_the_named_regularizer(l1, l2, kind):
    """l2 is ridge (gradient l2 * W), l1 the lasso (l1 * sign W), both the elastic net."""
    reg = NeuralNetClassifier(l1=l1, l2=l2)._regularizer()
    assert type(reg) is kind
    W = np.array([[0.5, -2.0, 3.0]])
    np.testing.assert_allclose(reg.gradient(W), l1 * np.sign(W) + l2 * W, rtol=1e-12)
    assert NeuralNetClassifier()._regularizer() is None
