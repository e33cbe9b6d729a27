"""nnlib.course.plotting, nnlib.course.widgets and nnlib.course.notebook: they draw, return objects, and warn never.

Matplotlib runs with the Agg backend; every warning is an error here (a missing glyph for
KMNIST's hiragana, a deprecated argument, too many open figures...).
"""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402

import nnlib  # noqa: E402
from nnlib.course import plotting, widgets  # noqa: E402
from nnlib.course.notebook import ChapterTimer, peak_memory_mb, report_resources  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [3.0, 3.0], [0.0, 3.0]])
    y = rng.integers(0, 3, size=60)
    X = (centres[y] + rng.normal(0, 0.5, size=(60, 2))).astype(np.float32)
    return X, y


def test_import_nnlib_does_not_import_matplotlib():
    code = ("import sys, nnlib, nnlib.course.plotting, nnlib.course.widgets, "
            "nnlib.course.exercises, nnlib.course.notebook; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- decision boundary
def test_decision_boundary_binary_probability(blobs):
    X, y = blobs
    y = (y == 1).astype(int)
    ax = plotting.plot_decision_boundary(lambda G: 1 / (1 + np.exp(-(G.sum(axis=1) - 3))), X, y,
                                         resolution=50, title="binary")
    assert isinstance(ax, Axes)
    assert ax.get_title() == "binary"
    assert len(ax.collections) >= 3          # filled contours, the boundary, two scatters


def test_decision_boundary_nnlib_module_logits(blobs):
    X, y = blobs
    model = nnlib.Sequential(nnlib.Dense(2, 8, seed=0), nnlib.ReLU(), nnlib.Dense(8, 1, seed=1))
    ax = plotting.plot_decision_boundary(model, X, (y == 1).astype(int), resolution=40)
    assert isinstance(ax, Axes)


def test_decision_boundary_multiclass_and_labels(blobs):
    X, y = blobs

    class Proba:
        def predict_proba(self, G):
            d = -((G[:, None, :] - np.array([[0, 0], [3, 3], [0, 3]])) ** 2).sum(axis=2)
            return nnlib.softmax(d)

    fig, (a, b) = plt.subplots(1, 2)
    assert plotting.plot_decision_boundary(Proba(), X, y, ax=a, resolution=40,
                                           class_names=["a", "b", "c"]) is a

    class Labels:                            # a perceptron predicting -1 / +1
        def predict(self, G):
            return np.where(G[:, 0] > 1.5, 1, -1)

    assert plotting.plot_decision_boundary(Labels(), X, np.where(y == 1, 1, -1), ax=b,
                                           resolution=40) is b


@pytest.mark.parametrize("legend, loc", [(True, "best"), ("upper right", "upper right"),
                                         (False, None)])
def test_decision_boundary_legend_option(blobs, legend, loc):
    X, y = blobs
    ax = plotting.plot_decision_boundary(lambda G: G.sum(axis=1) - 3, X, (y == 1).astype(int),
                                         resolution=30, legend=legend)
    shown = ax.get_legend()
    if loc is None:
        assert shown is None
    else:
        assert shown is not None and shown._loc == Legend.codes[loc]
        assert [t.get_text() for t in shown.get_texts()] == ["0", "1"]


def test_decision_boundary_rejects_unknown_legend(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="legend must be"):
        plotting.plot_decision_boundary(lambda G: G[:, 0], X, y, legend=1)


def test_decision_boundary_rejects_three_features():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plotting.plot_decision_boundary(lambda G: G[:, 0], np.zeros((5, 3)), np.zeros(5))


# --------------------------------------------------------------------------- learning curves
def test_learning_curves_from_dict():
    history = {"train_loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, 0.5],
               "train_acc": [0.5, 0.7, 0.8], "val_acc": [0.45, 0.65, None],
               "lr": [0.1, 0.05, 0.01], "seconds": [1.0, 1.0, 1.0]}
    fig = plotting.plot_learning_curves(history, title="run")
    assert isinstance(fig, Figure)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == ["loss", "accuracy", "learning rate"]
    assert len(fig.axes[0].lines) == 2


def test_learning_curves_from_history_object_and_given_axes():
    class History:
        history = {"epoch": [1, 2], "train_loss": [0.9, 0.5], "val_loss": [1.0, 0.8],
                   "train_acc": [], "val_acc": []}

    fig, ax = plt.subplots()
    assert plotting.plot_learning_curves(History(), metrics=("loss",), axes=[ax]) is fig
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2])


def test_learning_curves_with_nnlib_history():
    training = pytest.importorskip("nnlib.training")
    h = training.History()
    for key, values in {"epoch": [1, 2], "train_loss": [0.9, 0.5], "val_loss": [1.0, 0.8],
                        "train_acc": [0.6, 0.8], "val_acc": [0.5, 0.7]}.items():
        getattr(h, key).extend(values)
    fig = plotting.plot_learning_curves(h)
    assert [ax.get_ylabel() for ax in fig.axes][:2] == ["loss", "accuracy"]


def test_learning_curves_nothing_to_plot():
    with pytest.raises(ValueError, match="nothing to plot"):
        plotting.plot_learning_curves({"epoch": [1, 2]})


# --------------------------------------------------------------------------- images
@pytest.mark.parametrize("shape", [(10, 784), (10, 28, 28), (10, 1, 28, 28), (10, 3, 8, 8)])
def test_show_images_shapes(shape):
    images = np.random.default_rng(0).random(shape)
    fig = plotting.show_images(images, labels=np.arange(10) % 3, n_cols=5)
    assert isinstance(fig, Figure)
    assert sum(ax.has_data() for ax in fig.axes) == 10


def test_show_images_predictions_and_hiragana_names():
    rng = np.random.default_rng(1)
    names = ["お o", "き ki", "す su"]            # KMNIST class names need a Japanese font
    labels = np.array([0, 1, 2, 0])
    preds = np.array([0, 2, 2, 1])
    fig = plotting.show_images(rng.random((4, 28, 28)), labels=labels, class_names=names,
                               predictions=preds, title="predictions")
    titles = [ax.get_title() for ax in fig.axes if ax.has_data()]
    assert titles == ["お o", "す su (き ki)", "す su", "き ki (お o)"]
    colors = [ax.title.get_color() for ax in fig.axes if ax.has_data()]
    assert colors[1] == "tab:red" and colors[0] == "tab:green"
    fig.canvas.draw()                        # renders the glyphs: no "Glyph missing" warning


def test_show_images_needs_shape_for_non_square():
    with pytest.raises(ValueError, match="shape="):
        plotting.show_images(np.zeros((2, 10)))
    assert isinstance(plotting.show_images(np.zeros((2, 10)), shape=(2, 5)), Figure)


# --------------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_counts_and_normalized():
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    ax = plotting.plot_confusion_matrix(cm, class_names=["a", "b", "c"], title="cm")
    assert isinstance(ax, Axes)
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["5", "1", "0"] and len(texts) == 9
    ax2 = plotting.plot_confusion_matrix(cm, normalize=True, class_names=["お", "き", "す"])
    assert ax2.texts[0].get_text() == "0.83"
    ax2.figure.canvas.draw()


def test_confusion_matrix_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        plotting.plot_confusion_matrix(np.zeros((2, 3)))


# --------------------------------------------------------------------------- weights
def test_show_weights_from_array_and_dense_layer():
    W = np.random.default_rng(0).standard_normal((784, 20))
    fig = plotting.show_weights(W, n_cols=5, max_units=10)
    assert sum(ax.has_data() for ax in fig.axes) == 10
    fig2 = plotting.show_weights(nnlib.Dense(16, 3, seed=0), shape=(4, 4))
    assert sum(ax.has_data() for ax in fig2.axes) == 3
    with pytest.raises(ValueError, match="n_in"):
        plotting.show_weights(np.zeros((10, 3)))


def test_figures_are_small():
    fig = plotting.show_images(np.zeros((8, 28, 28)))
    assert fig.dpi == plotting.DPI <= 100


# --------------------------------------------------------------------------- widgets
def test_widgets_static_outside_a_kernel(monkeypatch):
    monkeypatch.delenv(widgets.ENV_VAR, raising=False)
    assert not widgets.widgets_available()       # pytest is not a Jupyter kernel
    calls = []

    def draw(lr=0.5, steps=3, kind="a"):
        calls.append((lr, steps, kind))
        fig, _ = plt.subplots()
        return fig

    demo = widgets.interactive_or_static(draw, lr=(0.0, 1.0, 0.1), steps=(1, 10, 1, 4),
                                         kind=["b", "a"])
    assert demo.mode == "static"
    assert calls == [(0.5, 4, "b")]       # fn's default, the spec's default, the menu's first
    assert isinstance(demo.result, Figure)
    assert demo._ipython_display_() is None


def test_widgets_static_when_forced(monkeypatch):
    monkeypatch.setenv(widgets.ENV_VAR, "static")
    assert not widgets.widgets_available()
    assert widgets.learning_rate_demo(lr=2.2).mode == "static"
    demo = widgets.activation_demo("tanh")
    assert demo.values == {"name": "tanh"} and isinstance(demo.result, Figure)


def test_widgets_interactive_when_forced(monkeypatch, capsys):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv(widgets.ENV_VAR, "interactive")
    demo = widgets.interactive_or_static(lambda lr=0.1, n=3, fixed="x": None,
                                         lr=(0.0, 1.0, 0.1), n=(1, 5), fixed="y")
    capsys.readouterr()                          # display() outside IPython prints a repr
    assert demo.mode == "interactive"
    kinds = {k: type(v).__name__ for k, v in demo.controls.items()}
    assert kinds == {"lr": "FloatSlider", "n": "IntSlider", "fixed": "fixed"}


# --------------------------------------------------------------------------- notebook helpers
def test_chapter_timer_report(capsys):
    timer = ChapterTimer()
    assert timer.report() is None
    out = capsys.readouterr().out
    assert out.startswith("Run time: ") and "peak memory: " in out and out.endswith("MB\n")
    report_resources()
    assert "Run time" in capsys.readouterr().out
    assert peak_memory_mb() > 1


def test_plot_graph_draws_every_node_and_the_values_and_gradients_of_its_edges():
    from nnlib import autograd as ag
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.standard_normal((1, 2)), requires_grad=True)
    W = ag.Tensor(rng.standard_normal((2, 1)), requires_grad=True)
    b = ag.Tensor(np.zeros(1), requires_grad=True)
    z = (x @ W).retain_grad()
    loss = ag.binary_cross_entropy(z + b, np.array([[1.0]]))
    loss.backward()
    nodes = ag.graph(loss)
    fig = plotting.plot_graph(nodes, {id(x): "x", id(W): "W", id(b): "b", id(loss): "L"},
                              title="graph")
    texts = [t.get_text() for t in fig.axes[0].texts]
    for label in ["x\n1×2", "W\n2×1", "b\n1", "matmul\n1×1", "add\n1×1", "L\nscalar"]:
        assert label in texts, (label, texts)
    shown = ", ".join(f"{v:.2f}" for v in x.value.ravel())
    assert f"({shown})" in texts                                   # x's value on its edge
    assert f"({z.grad.item():.2f})" in texts                       # z's gradient, retained
    arrows = [a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 5                                        # x, W, z, b, z + b
    plt.close(fig)


def test_graph_labels_never_show_minus_zero_and_keep_small_numbers_visible():
    assert plotting._short(np.array([-0.0, 0.5])) == "(0.00, 0.50)"       # ReLU's blocked -0.0
    assert plotting._short(np.array([-0.001, 0.004])) == "(-1e-03, 4e-03)"
    assert plotting._short(np.float64(-0.004)) == "-4e-03"
    assert plotting._short(np.array(0.25)) == "0.25"
    assert plotting._short(np.zeros((2, 2))) == "2×2"
