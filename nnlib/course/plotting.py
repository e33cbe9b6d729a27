"""Figures the chapters draw: decision boundaries, learning curves, image grids,
confusion matrices and weight pictures.

Matplotlib is imported inside the functions, so ``import nnlib`` never imports it.
Every function draws into the Axes (or Axes list) it is given, or creates a small figure
(``DPI`` dots per inch, so that notebooks stay small), and returns what it drew on: an
``Axes`` for single plots, a ``Figure`` for grids of panels.

In a notebook, end a plotting cell with ``plt.show()`` or an assignment
(``ax = plot_decision_boundary(...)``): the figure is shown once, without an
``<Axes: ...>`` line under it. Not with a trailing ``;``: nbval runs cells outside
IPython's history, where the ``;`` has no effect, so the output would differ.
"""

from __future__ import annotations

import math

import numpy as np

DPI = 90
"""Resolution of the figures these functions create (the inline backend saves at it)."""


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _subplots(nrows=1, ncols=1, figsize=(4.5, 3.5), **kwargs):
    return _plt().subplots(nrows, ncols, figsize=figsize, dpi=DPI, **kwargs)


def _font_for(texts):
    """Font properties with Japanese glyphs when a label needs them (KMNIST's hiragana)."""
    if not any(any(ord(ch) >= 0x3000 for ch in str(t)) for t in texts):
        return None
    try:
        from matplotlib.font_manager import FontProperties
        from matplotlib_fontja import get_font_ttf_path
    except ImportError:  # labels still appear, as boxes for the missing glyphs
        return None
    return FontProperties(fname=get_font_ttf_path())


def _font_kwargs(texts) -> dict:
    fp = _font_for(texts)
    return {"fontproperties": fp} if fp is not None else {}


def _class_colors(n):
    plt = _plt()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


# --------------------------------------------------------------------------- decision boundary
def _scores(model, grid):
    """The model's output on the grid: probabilities, logits or labels."""
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(grid))
    if hasattr(model, "forward") and hasattr(model, "backward"):   # an nnlib Module
        return np.asarray(model.forward(grid))
    if hasattr(model, "predict"):
        return np.asarray(model.predict(grid))
    if callable(model):
        return np.asarray(model(grid))
    raise TypeError("model must be a function of X, or have predict_proba, forward or "
                    f"predict; got {type(model).__name__}")


def plot_decision_boundary(model, X, y, ax=None, resolution: int = 200, padding: float = 0.1,
                           class_names=None, title: str | None = None, cmap=None,
                           legend: bool | str = True):
    """Colour the plane by the model's prediction and draw the data on top.

    Parameters
    ----------
    model : callable or object
        A function ``f(X_grid)`` or an object with ``predict_proba``, ``forward`` (an
        nnlib module) or ``predict``. Its output on ``(M, 2)`` points decides the plot:

        * ``(M,)`` or ``(M, 1)`` floats: binary. Values in [0, 1] are probabilities of
          class 1; other values are logits (a sigmoid is applied). The boundary is the
          0.5 contour, the background shades the probability.
        * ``(M, K)`` with ``K > 1``: class scores; each point gets the arg-max class.
        * integer ``(M,)``: predicted labels.
    X : array of shape (N, 2)
        The data points (two features: the plane is the input space).
    y : array of shape (N,)
        Their labels (any integers, e.g. 0/1 or -1/+1).
    resolution : int
        Grid points per axis.
    padding : float
        Margin around the data, as a fraction of its range.
    legend : bool or str
        ``True``: a legend of the classes where it hides the fewest points; a location
        such as ``"upper right"``: there; ``False``: none (small multiples of one figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(legend, (bool, str)):
        raise ValueError(f"legend must be True, False or a location such as 'upper right', "
                         f"got {legend!r}")
    X = np.asarray(X)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) to be drawn in the plane, got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} labels but X has {len(X)} rows")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = padding * np.where(hi > lo, hi - lo, 1.0)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    dtype = X.dtype if X.dtype.kind == "f" else np.float32
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(dtype)
    out = _scores(model, grid)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != grid.shape[0]:
        raise ValueError(f"the model returned {out.shape[0]} rows for {grid.shape[0]} points")

    ax = ax if ax is not None else _subplots()[1]
    classes = np.unique(y)
    binary_scores = out.ndim == 1 and out.dtype.kind == "f"
    if binary_scores:
        p = out if (out.min() >= 0 and out.max() <= 1) else 1 / (1 + np.exp(-out))
        cmap = cmap or "RdBu_r"
        ax.contourf(xx, yy, p.reshape(xx.shape), levels=np.linspace(0, 1, 11), cmap=cmap,
                    alpha=0.45, antialiased=True)
        if p.min() < 0.5 < p.max():
            ax.contour(xx, yy, p.reshape(xx.shape), levels=[0.5], colors="k", linewidths=1.2)
        colors = [_plt().get_cmap(cmap)(v) for v in np.linspace(0.05, 0.95, max(len(classes), 2))]
    else:
        if out.ndim == 2:
            pred = out.argmax(axis=1)
            classes = np.union1d(np.arange(out.shape[1]), classes)
        else:
            pred = out
            classes = np.union1d(classes, np.unique(pred))
        index = np.searchsorted(classes, pred)
        colors = _class_colors(len(classes))
        from matplotlib.colors import ListedColormap
        ax.contourf(xx, yy, index.reshape(xx.shape), levels=np.arange(len(classes) + 1) - 0.5,
                    cmap=ListedColormap(colors), alpha=0.35)
        ax.contour(xx, yy, index.reshape(xx.shape), levels=np.arange(len(classes)) + 0.5,
                   colors="k", linewidths=0.6)
    names = list(class_names) if class_names is not None else [str(c) for c in classes]
    for i, c in enumerate(classes):
        mask = y == c
        if mask.any():
            label = names[i] if i < len(names) else str(c)
            ax.scatter(X[mask, 0], X[mask, 1], s=14, color=colors[i % len(colors)],
                       edgecolors="k", linewidths=0.4, label=label)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if legend is not False:
        ax.legend(loc="best" if legend is True else legend, fontsize="small", framealpha=0.8,
                  **_legend_font(names))
    if title:
        ax.set_title(title)
    return ax


def _legend_font(names) -> dict:
    fp = _font_for(names)
    return {"prop": fp} if fp is not None else {}


# --------------------------------------------------------------------------- learning curves
_ALIASES = {"accuracy": "acc", "loss": "loss"}
_SKIP = {"epoch", "epochs", "seconds", "time"}


def _history_dict(history) -> dict:
    if isinstance(history, dict):
        return history
    h = getattr(history, "history", None)
    if isinstance(h, dict):
        return h
    if hasattr(history, "__dict__"):
        return {k: v for k, v in vars(history).items() if not k.startswith("_")}
    raise TypeError("history must be a dict of per-epoch lists or have a .history dict, "
                    f"got {type(history).__name__}")


def plot_learning_curves(history, metrics=None, axes=None, title: str | None = None):
    """One panel per quantity (loss, accuracy, ...), training and validation together.

    Parameters
    ----------
    history : dict or object
        Per-epoch lists such as ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc``,
        ``lr`` (keys with a ``train_``/``val_``/``test_`` prefix share a panel); or an
        object with a ``.history`` dict (``nnlib.training.History``, Keras).
        ``epoch`` gives the x values when present; ``None`` entries are gaps.
    metrics : sequence of str, optional
        Which panels, e.g. ``("loss",)``; default every quantity found (loss first).
    axes : sequence of Axes, optional
        Where to draw, one per panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    h = _history_dict(history)
    groups: dict[str, list] = {}
    for key, values in h.items():
        if key in _SKIP or not isinstance(values, (list, tuple, np.ndarray)) or len(values) == 0:
            continue
        vals = np.array([np.nan if v is None else v for v in values], dtype=float)
        if np.isnan(vals).all():
            continue
        split = "train"
        base = key
        for prefix in ("train_", "val_", "test_"):
            if key.startswith(prefix):
                split, base = prefix[:-1], key[len(prefix):]
                break
        base = _ALIASES.get(base, base)
        groups.setdefault(base, []).append((split, vals))
    if metrics is not None:
        groups = {m: groups[m] for m in metrics if m in groups}
    if not groups:
        raise ValueError(f"nothing to plot: no per-epoch numbers among {sorted(h)}")
    order = sorted(groups, key=lambda g: ({"loss": 0, "acc": 1}.get(g, 2), g))
    if axes is None:
        fig, axes = _subplots(1, len(order), figsize=(4.2 * len(order), 3.2), squeeze=False)
        axes = axes[0]
    else:
        axes = list(np.atleast_1d(axes))
        if len(axes) < len(order):
            raise ValueError(f"{len(order)} panels ({', '.join(order)}) but {len(axes)} axes")
        fig = axes[0].figure
    labels = {"acc": "accuracy", "lr": "learning rate"}
    styles = {"train": "-", "val": "--", "test": ":"}
    for ax, base in zip(axes, order):
        for split, vals in groups[base]:
            x = np.asarray(h.get("epoch", []), dtype=float)
            if len(x) != len(vals):
                x = np.arange(1, len(vals) + 1)
            ax.plot(x, vals, styles.get(split, "-"), marker="o" if len(vals) <= 30 else None,
                    markersize=3, label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(labels.get(base, base))
        if base == "lr":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- images
def _as_images(images, shape=None) -> np.ndarray:
    imgs = np.asarray(images)
    if imgs.ndim == 2:                       # (N, H*W) rows of pixels
        if shape is None:
            side = math.isqrt(imgs.shape[1])
            if side * side != imgs.shape[1]:
                raise ValueError(f"cannot infer the image shape of {imgs.shape[1]} pixels; "
                                 "pass shape=(height, width)")
            shape = (side, side)
        imgs = imgs.reshape(len(imgs), *shape)
    elif imgs.ndim == 4:                     # (N, C, H, W)
        if imgs.shape[1] == 1:
            imgs = imgs[:, 0]
        elif imgs.shape[1] == 3:
            imgs = imgs.transpose(0, 2, 3, 1)
        else:
            raise ValueError(f"images of shape {imgs.shape}: expected 1 or 3 channels")
    elif imgs.ndim != 3:
        raise ValueError(f"images must be (N, H, W), (N, C, H, W) or (N, H*W), got {imgs.shape}")
    return imgs


def show_images(images, labels=None, class_names=None, predictions=None, n_cols: int = 8,
                max_images: int = 64, shape=None, cmap: str = "gray",
                title: str | None = None):
    """A grid of images with their labels; wrong predictions in red as ``pred (true)``.

    Parameters
    ----------
    images : array
        ``(N, H, W)``, ``(N, C, H, W)`` or flattened ``(N, H*W)`` (square, or give ``shape``).
    labels, predictions : arrays of shape (N,), optional
        Integer classes; ``class_names[k]`` names class ``k``.
    n_cols, max_images : int
        Grid width; at most ``max_images`` are drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    imgs = _as_images(images, shape)[:max_images]
    n = len(imgs)
    if n == 0:
        raise ValueError("no images to show")
    n_cols = max(1, min(n_cols, n))
    n_rows = math.ceil(n / n_cols)

    def name(k):
        k = int(k)
        return str(class_names[k]) if class_names is not None else str(k)

    texts = []
    for i in range(n):
        if predictions is not None:
            p = predictions[i]
            wrong = labels is not None and int(p) != int(labels[i])
            texts.append((f"{name(p)} ({name(labels[i])})" if wrong else name(p),
                          "tab:red" if wrong else "tab:green" if labels is not None else "k"))
        elif labels is not None:
            texts.append((name(labels[i]), "k"))
        else:
            texts.append(("", "k"))
    font = _font_kwargs([t for t, _ in texts])
    has_text = any(t for t, _ in texts)
    fig, axes = _subplots(n_rows, n_cols, squeeze=False,
                          figsize=(1.15 * n_cols, (1.45 if has_text else 1.15) * n_rows + 0.3))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(imgs[i], cmap=cmap if imgs[i].ndim == 2 else None, interpolation="nearest")
        text, color = texts[i]
        if text:
            ax.set_title(text, fontsize=8, color=color, **font)
    if title:
        fig.suptitle(title)
    fig.tight_layout(pad=0.3)
    return fig


# --------------------------------------------------------------------------- confusion matrix
def plot_confusion_matrix(cm, class_names=None, ax=None, normalize: bool = False,
                          cmap: str = "Blues", title: str | None = None,
                          annotate: bool | None = None):
    """Draw a confusion matrix: rows are true classes, columns predictions.

    Parameters
    ----------
    cm : array of shape (K, K)
        Counts, e.g. from ``nnlib.metrics.confusion_matrix``.
    normalize : bool
        Divide each row by its sum (the diagonal then shows per-class recall).
    annotate : bool, optional
        Write the numbers in the cells; default when ``K <= 15``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {cm.shape}")
    k = cm.shape[0]
    values = cm.astype(float)
    if normalize:
        rows = values.sum(axis=1, keepdims=True)
        values = np.divide(values, rows, out=np.zeros_like(values), where=rows > 0)
    ax = ax if ax is not None else _subplots(figsize=(0.45 * k + 2.6, 0.45 * k + 2.0))[1]
    im = ax.imshow(values, cmap=cmap, vmin=0, vmax=1 if normalize else None)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    names = [str(c) for c in class_names] if class_names is not None else [str(i)
                                                                           for i in range(k)]
    font = _font_kwargs(names)
    ax.set_xticks(range(k), names, rotation=90 if max(map(len, names)) > 3 else 0, **font)
    ax.set_yticks(range(k), names, **font)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if annotate is None:
        annotate = k <= 15
    if annotate:
        top = values.max() if values.size else 0
        for i in range(k):
            for j in range(k):
                text = f"{values[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if values[i, j] > 0.6 * top else "black")
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------- weights
def show_weights(W, shape=(28, 28), n_cols: int = 8, max_units: int = 32,
                 cmap: str = "RdBu_r", title: str | None = None):
    """Picture the weights into each unit of a first layer as an image.

    Column ``j`` of ``W`` (shape ``(n_in, n_out)``, the row-major convention) holds the
    weights from every pixel into unit ``j``; it is reshaped to ``shape``. Colours are
    symmetric around zero per unit: red excites the unit, blue inhibits it.

    Parameters
    ----------
    W : array of shape (n_in, n_out), or a Dense layer, or a Parameter
    shape : tuple
        Image shape, ``prod(shape) == n_in``.
    max_units : int
        At most this many units (the first ones) are drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if hasattr(W, "W"):          # a Dense layer
        W = W.W
    if hasattr(W, "value"):      # a Parameter
        W = W.value
    W = np.asarray(W)
    if W.ndim != 2 or int(np.prod(shape)) != W.shape[0]:
        raise ValueError(f"W must have shape (n_in, n_out) with n_in = {int(np.prod(shape))} "
                         f"for images of shape {tuple(shape)}, got {W.shape}")
    n = min(W.shape[1], max_units)
    n_cols = max(1, min(n_cols, n))
    n_rows = math.ceil(n / n_cols)
    fig, axes = _subplots(n_rows, n_cols, squeeze=False,
                          figsize=(1.1 * n_cols, 1.1 * n_rows + 0.3))
    for j, ax in enumerate(axes.flat):
        ax.axis("off")
        if j >= n:
            continue
        w = W[:, j].reshape(shape)
        lim = float(np.abs(w).max()) or 1.0
        ax.imshow(w, cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
    if title:
        fig.suptitle(title)
    fig.tight_layout(pad=0.3)
    return fig


__all__ = ["plot_decision_boundary", "plot_learning_curves", "show_images",
           "plot_confusion_matrix", "show_weights", "DPI"]


def _short(array) -> str:
    """A few numbers as ``(0.41, -0.63)``; a larger array as its shape."""
    a = np.asarray(array)
    if a.size > 2:
        return "×".join(map(str, a.shape))

    def number(v):                     # 2 decimals; a small non-zero number is not "-0.00"
        return f"{v:.0e}" if 0 < abs(v) < 0.005 else f"{v + 0.0:.2f}"
    return "(" + ", ".join(number(v) for v in a.ravel()) + ")" if a.ndim else number(a.item())


def plot_graph(nodes, names: dict, ax=None, title: str | None = None):
    """Draw a computational graph from :func:`nnlib.autograd.graph`, left to right.

    The operations stand in one row, in the order of the forward pass; each leaf (an input
    or a parameter) sits above or below the first operation that uses it. A box per node
    shows its name (``names[id(node)]``, else its operation) and shape; each arrow carries
    the value that flows forward along it (black) and, when the node has one, the gradient
    that flows back (red: ``node.grad``; call ``retain_grad()`` on intermediate nodes before
    ``backward()``). Values of more than two numbers are shown by their shape. Made for the
    chains of operations of a small network; returns the figure.
    """
    _plt()                             # matplotlib imported (and its backend set)
    nodes = list(nodes)
    ops = [n for n in nodes if not n.is_leaf]
    where = {id(n): (2.8 * k, 0.0) for k, n in enumerate(ops)}
    for n in ops:                      # each leaf next to its first user, alternating sides
        side = 1.0
        for p in n.parents:
            if p.is_leaf and id(p) not in where and p.requires_grad:
                x, _ = where[id(n)]
                where[id(p)] = (x - 1.2, 1.15 * side)
                side = -side
    shown = [n for n in nodes if id(n) in where]
    own_figure = ax is None
    if own_figure:
        fig, ax = _subplots(figsize=(1.7 * len(ops) + 1.0, 3.6))
    else:
        fig = ax.figure
    for n in shown:
        x1, y1 = where[id(n)]
        for p in n.parents:
            if id(p) not in where:
                continue
            x0, y0 = where[id(p)]
            ax.annotate("", xy=(x1 - 0.5, y1 + 0.25 * (y0 > y1) - 0.25 * (y0 < y1)),
                        xytext=(x0 + 0.45 * (y0 == y1), y0 - 0.3 * (y0 > 0) + 0.3 * (y0 < 0)),
                        arrowprops=dict(arrowstyle="->", color="0.45", lw=1.0))
            if y0 == y1:
                mx, my, dx = (x0 + x1) / 2, y0, 0.0
            else:                      # a leaf's edge: labels beside the leaf's box
                mx, my, dx = x0 + 0.45, y0, 0.0
            ax.text(mx + dx, my + 0.12, _short(p.value), ha="left" if y0 != y1 else "center",
                    va="bottom", fontsize=8.5)
            if p.grad is not None:
                ax.text(mx + dx, my - 0.12, _short(p.grad), ha="left" if y0 != y1 else "center",
                        va="top", fontsize=8.5, color="tab:red")
    for n in shown:
        x, y = where[id(n)]
        label = names.get(id(n), n.op or "leaf")
        shape = "×".join(map(str, n.shape)) or "scalar"
        ax.text(x, y, f"{label}\n{shape}", ha="center", va="center", fontsize=9.5,
                bbox=dict(boxstyle="round,pad=0.35",
                          fc="#e8f0fb" if n.is_leaf else "#f4f4f4", ec="0.5"))
    xs = [xy[0] for xy in where.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.7)
    ax.set_ylim(-1.6, 1.6)
    ax.axis("off")
    if own_figure:                     # the graph fills a figure made for it
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    if title:
        ax.set_title(title, fontsize=11)
    return fig
