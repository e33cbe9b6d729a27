r"""Speed machinery for the optimizers: one flat buffer per dtype, and subnormal flushing.

Nothing here changes what an optimizer computes; it changes how fast it runs. A learner can
read :mod:`nnlib.optim` without this file.

**One flat buffer.** A model holds a few arrays per layer (``W``, ``b``, ...). Updating
them one by one costs a handful of NumPy calls per array and step; over one contiguous
array, the whole update is a handful of calls in total. So an optimizer copies the values
and gradients of its parameters into two flat arrays per dtype and rebinds every
``p.value`` and ``p.grad`` to a **view** into them: the layers keep reading ``p.value``
and writing ``p.grad`` as before, and the optimizer sees one array :math:`\theta` and one
array :math:`g`. Weights (parameters named ``"W"``) come first, so the weight-decayed part
is the slice ``theta[:n_weights]``.

If someone rebinds ``p.value`` or ``p.grad`` to a new array afterwards (``Module.astype``,
another optimizer adopting the same parameters, an assignment by hand), the next step
notices and adopts the parameters again, copying their current values: nothing is lost.

**Chunks.** An update written as its equations (``theta -= lr * m / (np.sqrt(v) + eps)``)
makes temporary arrays. Over the whole flat array each temporary is as large as the model
(800 KB for a 784-256-10 MLP in float32): it comes fresh from the operating system, page by
page, and leaves the cache. So the optimizer calls ``update`` on consecutive chunks of
``CHUNK`` elements (256 KB in float32): the temporaries are reused from the allocator and
stay in the L2 cache, and the step takes 25 % less time. Every update is element-wise, so
the result is bit for bit the same as in one piece.

**Subnormal numbers.** A running average that only decays (Adam's :math:`m` where the
gradient is exactly zero, as for the weights of an MNIST border pixel that is never inked,
or of a dead ReLU unit) shrinks towards zero until it falls below the smallest normal float
(1.2e-38 in float32). There the CPU switches to *subnormal* arithmetic, 10 to 100 times
slower, and ``0.9 * x`` of the smallest subnormal rounds back to itself, so the slow values
never leave: an epoch that took 1.5 s took 3.5 s two epochs later. So every few steps the
entries of such state below ``1e10 * finfo(dtype).tiny`` (1.2e-28 in float32) are set to
zero: values that small change no step, and they never get the chance to become subnormal.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .core import Parameter

CHUNK = 65_536          # elements per call of an optimizer's update (see the module doc)


class FlatGroup:
    """The parameters of one dtype, packed into one value array and one gradient array.

    Attributes
    ----------
    params : list of Parameter
        Weights first, then the others, each in its original order.
    value, grad : ndarray, shape (size,)
        ``p.value`` and ``p.grad`` of every parameter are views into these.
    n_weights : int
        ``value[:n_weights]`` holds the weights (decayed), the rest biases and others.
    state : SimpleNamespace
        The optimizer's buffers for this group (``m``, ``v``, ...), all of shape (size,),
        and ``state.n_weights``.
    """

    def __init__(self, params: list[Parameter]):
        self.params = [p for p in params if p.is_weight] + [p for p in params if not p.is_weight]
        self.dtype = self.params[0].value.dtype
        sizes = [p.value.size for p in self.params]
        self.n_weights = sum(s for s, p in zip(sizes, self.params) if p.is_weight)
        self.value = np.empty(sum(sizes), dtype=self.dtype)
        self.grad = np.empty(sum(sizes), dtype=self.dtype)
        self.state = SimpleNamespace(n_weights=self.n_weights)
        self.slices, self._views, self._scratch = [], [], None
        start = 0
        for p, size in zip(self.params, sizes):
            self.slices.append(slice(start, start + size))
            value = self.value[start:start + size].reshape(p.value.shape)
            grad = self.grad[start:start + size].reshape(p.value.shape)
            value[...] = p.value
            grad[...] = p.grad
            p.value, p.grad = value, grad
            self._views.append((value, grad))
            start += size
        self._state_views = {}
        self._build_chunks()

    def intact(self) -> bool:
        """True while every ``p.value`` / ``p.grad`` is still the view this group made."""
        return all(p.value is value and p.grad is grad
                   for p, (value, grad) in zip(self.params, self._views))

    def add_state(self, name: str) -> None:
        """A zero buffer ``state.<name>`` of the group's size, with one view per parameter."""
        buf = np.zeros_like(self.value)
        setattr(self.state, name, buf)
        self._state_views[name] = [buf[sl].reshape(p.value.shape)
                                   for p, sl in zip(self.params, self.slices)]
        self._build_chunks()

    def _build_chunks(self) -> None:
        """``self.chunks``: (slice, state of that slice) pairs covering the group."""
        size = self.value.size
        self.chunks = []
        for start in range(0, size, CHUNK):
            sl = slice(start, min(start + CHUNK, size))
            state = SimpleNamespace(n_weights=min(max(self.n_weights - start, 0), sl.stop - start))
            for name in self._state_views:
                setattr(state, name, getattr(self.state, name)[sl])
            self.chunks.append((sl, state))

    def state_views(self, name: str) -> list[np.ndarray]:
        """The buffer ``name`` as one view per parameter (in ``self.params`` order)."""
        return self._state_views[name]

    def state_names(self) -> list[str]:
        """The names of the state buffers, in the order they were added."""
        return list(self._state_views)

    def scratch(self) -> np.ndarray:
        """A work buffer of the group's size, allocated once."""
        if self._scratch is None:
            self._scratch = np.empty_like(self.value)
        return self._scratch


def flatten_parameters(params: list[Parameter], previous: list[FlatGroup] | None = None
                       ) -> list[FlatGroup]:
    """One :class:`FlatGroup` per dtype (in order of first appearance).

    With ``previous`` (the groups of an earlier adoption), the state buffers are recreated
    and each parameter's state is carried over when its shape is unchanged.
    """
    by_dtype: dict = {}
    for p in params:
        by_dtype.setdefault(p.value.dtype, []).append(p)
    groups = [FlatGroup(ps) for ps in by_dtype.values()]
    old = {}
    for group in previous or ():
        for name in group.state_names():
            for p, view in zip(group.params, group.state_views(name)):
                old[id(p), name] = view
    for name in (previous[0].state_names() if previous else ()):
        for group in groups:
            group.add_state(name)
            for p, view in zip(group.params, group.state_views(name)):
                saved = old.get((id(p), name))
                if saved is not None and saved.shape == view.shape:
                    view[...] = saved
    return groups


def flush_every(factor: float) -> int | None:
    """How often state multiplied by ``factor`` each step must be flushed (None: never).

    Between two flushes a value above the threshold cannot fall below ``tiny``:
    ``factor ** every >= 1e-9 > 1e-10 = tiny / threshold``.
    """
    if not 0 < factor < 1:
        return None
    return int(min(256, max(1, math.log(1e-9) / math.log(factor))))


def flush_tiny(buffer: np.ndarray) -> None:
    """Zero the entries of ``buffer`` that are about to become subnormal (in place)."""
    threshold = 1e10 * np.finfo(buffer.dtype).tiny
    buffer[np.abs(buffer) < threshold] = 0


__all__ = ["FlatGroup", "flatten_parameters", "flush_every", "flush_tiny"]
