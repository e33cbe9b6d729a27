"""Interactive demos (ipywidgets sliders) that fall back to a static figure.

A widget needs a *front end* (JupyterLab, Notebook, VS Code, Colab) to draw it. The
published book, nbval and ``jupyter nbconvert --execute`` have none: there a slider would
leave an empty space. :func:`interactive_or_static` therefore decides, in this order:

1. ``NNLIB_WIDGETS=static`` in the environment: **static**. The Makefile, CI and
   ``tools/run_notebook.sh`` set it, so every unattended run (and thus every committed
   output and the book) shows the static figure. ``NNLIB_WIDGETS=interactive`` forces
   sliders.
2. ipywidgets is not installed: static.
3. Not running in a Jupyter kernel (a script, the Python prompt, pytest): static.
4. Otherwise: **interactive**. A kernel cannot see whether a front end is attached, so a
   kernel run by hand is assumed to have one.

The static figure is what the function draws with its default values, so the book shows
exactly what a learner sees before touching a slider.
"""

from __future__ import annotations

import inspect
import numbers
import os
from dataclasses import dataclass, field

import numpy as np

ENV_VAR = "NNLIB_WIDGETS"


def _in_jupyter_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def widgets_available() -> bool:
    """True when sliders will be shown (see the module docstring for the rules)."""
    mode = os.environ.get(ENV_VAR, "").strip().lower()
    if mode == "static":
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        if _in_jupyter_kernel():
            _note_once("Note: ipywidgets is not installed, so the demos show a static figure "
                       "(pip install ipywidgets to get the sliders).")
        return False
    return mode == "interactive" or _in_jupyter_kernel()


_NOTED: set[str] = set()


def _note_once(message: str) -> None:
    """Print a note once per session (a chapter has several demos)."""
    if message not in _NOTED:
        _NOTED.add(message)
        print(message)


@dataclass
class Demo:
    """What :func:`interactive_or_static` did: ``mode`` is ``"static"`` or ``"interactive"``.

    ``values`` are the defaults used for the static figure, ``result`` what the function
    returned for them (static mode), ``widget`` the ipywidgets object (interactive mode).
    It displays nothing itself: the figure or the sliders are already on screen.
    """

    mode: str
    values: dict
    result: object = None
    widget: object = None
    controls: dict = field(default_factory=dict)

    def _ipython_display_(self):
        pass


def _control(name, spec, value):
    """The ipywidgets control for a spec, starting at ``value``; None for a fixed value."""
    import ipywidgets as w
    if isinstance(spec, tuple) and 2 <= len(spec) <= 4:
        lo, hi = spec[0], spec[1]
        step = spec[2] if len(spec) >= 3 else None
        if all(isinstance(v, numbers.Integral) for v in (lo, hi, step or 1, value)):
            return w.IntSlider(value=value, min=lo, max=hi, step=step or 1,
                               description=name, continuous_update=False)
        return w.FloatSlider(value=value, min=lo, max=hi, step=step or (hi - lo) / 100,
                             description=name, continuous_update=False, readout_format=".3g")
    if isinstance(spec, list) and spec:
        return w.Dropdown(options=spec, value=value, description=name)
    return None


def _defaults(fn, controls):
    """The static values: a slider's given default, else fn's default, else the range's start;
    a menu's first entry; a fixed value itself."""
    params = inspect.signature(fn).parameters
    values = {}
    for name, spec in controls.items():
        fn_default = params[name].default if name in params else inspect.Parameter.empty
        fn_default = None if fn_default is inspect.Parameter.empty else fn_default
        if isinstance(spec, tuple) and 2 <= len(spec) <= 4:
            values[name] = spec[3] if len(spec) == 4 else (
                fn_default if fn_default is not None else spec[0])
        elif isinstance(spec, list) and spec:
            values[name] = spec[0]
        else:
            values[name] = spec
    return values


def interactive_or_static(fn, **controls) -> Demo:
    """Show ``fn`` with sliders when a widget front end runs, else draw it once, statically.

    Parameters
    ----------
    fn : callable
        Draws a figure (with matplotlib's pyplot, e.g. the :mod:`nnlib.course.plotting` helpers)
        from keyword arguments.
    **controls
        One per argument of ``fn``:

        * ``(min, max)``, ``(min, max, step)`` or ``(min, max, step, default)``: a slider
          (integer when every number is an int). Without a default, ``fn``'s own default
          is used, else ``min``.
        * a list: a drop-down menu; its first entry is the default.
        * any other value: passed unchanged.

    Returns
    -------
    Demo
        ``demo.mode`` tells which path ran.

    Example
    -------
    >>> def show_lr(lr=0.1, steps=20): ...                      # draws a figure
    >>> interactive_or_static(show_lr, lr=(0.01, 2.5, 0.01), steps=(1, 50))  # doctest: +SKIP
    """
    values = _defaults(fn, controls)
    if not widgets_available():
        return Demo("static", values, result=fn(**values))
    import ipywidgets as w
    from IPython.display import display
    widgets = {}
    for name, spec in controls.items():
        control = _control(name, spec, values[name])
        widgets[name] = control if control is not None else w.fixed(spec)
    ui = w.interactive(fn, **widgets)
    display(ui)
    return Demo("interactive", values, widget=ui, controls=widgets)


# --------------------------------------------------------------------------- demos
def _draw_activation(name: str = "relu"):
    from nnlib import activations

    from .plotting import _subplots
    x = np.linspace(-5, 5, 401)
    layer = activations.get_activation(name)
    y = layer.forward(x)
    dy = layer.backward(np.ones_like(x))
    fig, ax = _subplots(figsize=(5, 3))
    ax.plot(x, y, label=f"{name}(x)")
    ax.plot(x, dy, "--", label="derivative")
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("x")
    ax.legend()
    ax.set_title(f"{name} and its derivative")
    return fig


def activation_demo(name: str = "relu") -> Demo:
    """An activation and its derivative (computed by its ``backward``), chosen from a menu."""
    choices = ["relu", "leaky_relu", "sigmoid", "tanh"]
    return interactive_or_static(_draw_activation, name=[name] + [c for c in choices
                                                                  if c != name])


def _draw_gradient_descent(lr: float = 0.3, steps: int = 15):
    from .plotting import _subplots
    w = [4.0]
    for _ in range(steps):                    # f(w) = w^2 / 2, so f'(w) = w
        w.append(w[-1] - lr * w[-1])
    w = np.array(w)
    lim = max(5.0, min(float(np.abs(w).max()), 50.0))
    grid = np.linspace(-lim, lim, 300)
    fig, ax = _subplots(figsize=(5, 3))
    ax.plot(grid, grid ** 2 / 2, color="0.6")
    shown = np.clip(w, -lim, lim)
    ax.plot(shown, shown ** 2 / 2, "o-", color="tab:red", markersize=3, lw=0.8)
    ax.set_xlabel("w")
    ax.set_ylabel("f(w) = w²/2")
    verdict = ("converges" if lr < 1 else "converges, oscillating" if lr < 2
               else "oscillates forever" if lr == 2 else "diverges")
    ax.set_title(f"learning rate {lr:.2f}: {verdict}")
    return fig


def learning_rate_demo(lr: float = 0.3, steps: int = 15) -> Demo:
    """Gradient descent on :math:`f(w) = w^2/2` from :math:`w_0 = 4`: it converges for
    :math:`\\eta < 2` and diverges beyond, since :math:`w_{t+1} = (1 - \\eta) w_t`."""
    return interactive_or_static(_draw_gradient_descent, lr=(0.05, 2.5, 0.05, lr),
                                 steps=(1, 50, 1, steps))


__all__ = ["interactive_or_static", "widgets_available", "Demo", "activation_demo",
           "learning_rate_demo", "ENV_VAR"]
