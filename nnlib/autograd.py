r"""Reverse-mode automatic differentiation on NumPy arrays: the engine of chapter 7.

Every operation on a :class:`Tensor` computes its value *and* records how it was made: its
parents and a ``backward`` closure that maps :math:`g = \partial L/\partial\,\text{out}` to
:math:`\partial L/\partial\,\text{parent}` for each parent (the chain rule, one local
Jacobian-vector product each). ``loss.backward()`` then visits the graph from the loss to
the inputs in reverse topological order, so that a node's gradient is complete (summed over
every use) before it is passed on.

Two rules make arrays harder than scalars:

* **Broadcasting.** If ``b`` of shape ``(m,)`` was broadcast to ``(n, m)`` in ``a + b``, each
  entry of ``b`` was used ``n`` times, so its gradient is the *sum* of the ``n`` gradients:
  :func:`unbroadcast` sums the gradient back to the operand's shape.
* **Reuse.** A value used twice (``x * x``, or two branches) receives the sum of the
  gradients from both uses: gradients are **added**, never assigned.

As in PyTorch: a leaf (a tensor made by the user) gets ``.grad`` if ``requires_grad=True``;
intermediate results keep theirs only after ``retain_grad()``; ``backward()`` **adds** to
``.grad`` (call ``zero_grad()`` between steps); nothing is recorded under ``no_grad()``.

**dtype.** A tensor keeps the float dtype of its data; integer and boolean data become
float64 (pass ``dtype=`` to choose). A plain number or array met in an operation takes the
dtype of the tensor it meets, and a gradient always has the dtype of its tensor.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .activations import log_softmax, sigmoid
from .validation import as_labels, check_float_dtype

_GRAD_ENABLED = True


@contextlib.contextmanager
def no_grad():
    """Within this block operations compute values but record no graph (for evaluation)."""
    global _GRAD_ENABLED
    previous, _GRAD_ENABLED = _GRAD_ENABLED, False
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`."""
    return _GRAD_ENABLED


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``.

    ``(n, m)`` to ``(m,)``: sum over axis 0; ``(n, m)`` to ``(n, 1)``: sum over axis 1,
    keeping it; ``(n, m)`` to ``()``: sum of everything.
    """
    if grad.shape == shape:
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))      # axes added in front
    stretched = tuple(i for i, n in enumerate(shape) if n == 1)       # kept, as 1
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


class Tensor:
    """An array ``value`` that remembers how it was computed, and its gradient ``grad``.

    Parameters
    ----------
    value : array_like
        Real numbers; kept as they are when float (no copy), integers and booleans become
        float64 unless ``dtype`` is given.
    requires_grad : bool
        Compute :math:`\\partial L/\\partial\\,\\text{value}` in ``backward()`` (leaves only).
    dtype : float dtype, optional
        Convert the value to this type.

    Attributes
    ----------
    grad : ndarray or None
        Same shape and dtype as ``value``; ``None`` until a ``backward()`` reaches it.
    op : str
        The operation that made it (``""`` for a leaf).
    """

    __array_ufunc__ = None          # ndarray + Tensor calls Tensor.__radd__, not NumPy

    def __init__(self, value, requires_grad: bool = False, dtype=None):
        if isinstance(value, Tensor):
            raise TypeError("value is already a Tensor; use t.detach() for a new leaf")
        value = np.asarray(value)
        if value.dtype.kind not in "fiub":
            raise TypeError(f"a Tensor holds real numbers, got dtype {value.dtype}")
        if dtype is not None:
            value = value.astype(check_float_dtype(dtype), copy=False)
        elif value.dtype.kind != "f":
            value = value.astype(np.float64)
        self.value = value
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.op = ""
        self._parents = ()
        self._backward = None       # g -> one gradient (or None) per parent
        self._retain = False

    # --- plain properties ----------------------------------------------------------------
    shape = property(lambda self: self.value.shape)
    dtype = property(lambda self: self.value.dtype)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    is_leaf = property(lambda self: self._backward is None)
    parents = property(lambda self: self._parents, doc="The tensors this one was made from.")

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        op = f", op={self.op!r}" if self.op else ""
        return (f"Tensor(shape={self.shape}, dtype={self.dtype}{op}, "
                f"requires_grad={self.requires_grad})")

    def item(self) -> float:
        return self.value.item()

    def detach(self) -> Tensor:
        """A new leaf with the same value (no copy) and no history."""
        return Tensor(self.value)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate result too (leaves always keep theirs)."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad = None``), as before the first backward."""
        self.grad = None

    # --- the engine ----------------------------------------------------------------------
    def backward(self, grad=None) -> None:
        """Add :math:`\\partial\\,\\text{self}/\\partial x` (times ``grad``) to ``x.grad`` of every leaf.

        ``grad`` is :math:`\\partial L/\\partial\\,\\text{self}`, of the shape of ``self``; it
        may be omitted for a scalar (one entry), and is then 1.
        """
        if not self.requires_grad:
            raise RuntimeError("this tensor does not require a gradient: no input had "
                               "requires_grad=True, or it was computed under no_grad()")
        if grad is None:
            if self.size != 1:
                raise ValueError(f"backward() without a gradient needs a scalar, got shape "
                                 f"{self.shape}; pass grad= of that shape (often np.ones)")
            grad = np.ones_like(self.value)
        grad = np.asarray(grad.value if isinstance(grad, Tensor) else grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"grad must have the shape of the tensor, {self.shape}, "
                             f"got {grad.shape}")
        grads = {id(self): grad}             # gradients of this pass, summed over every use
        for node in reversed(_topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:                    # nothing reached it (a constant branch)
                continue
            if node.is_leaf or node._retain:
                node.grad = g.copy() if node.grad is None else node.grad + g
            if node.is_leaf:
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                pg = unbroadcast(np.asarray(pg), parent.shape).astype(parent.dtype, copy=False)
                k = id(parent)
                grads[k] = grads[k] + pg if k in grads else pg     # add, never assign

    # --- operations: value, then the backward closure g -> parents' gradients ------------
    def __add__(self, other):                   # d(a+b)/da = 1, d(a+b)/db = 1
        b = _lift(other, self)
        return _make(self.value + b.value, (self, b), lambda g: (g, g), "add")

    def __sub__(self, other):                   # d(a-b)/da = 1, d(a-b)/db = -1
        b = _lift(other, self)
        return _make(self.value - b.value, (self, b), lambda g: (g, -g), "sub")

    def __mul__(self, other):                   # d(ab)/da = b, d(ab)/db = a
        a, b = self, _lift(other, self)
        return _make(a.value * b.value, (a, b), lambda g: (g * b.value, g * a.value), "mul")

    def __truediv__(self, other):               # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        a, b = self, _lift(other, self)
        return _make(a.value / b.value, (a, b),
                     lambda g: (g / b.value, -g * a.value / b.value ** 2), "div")

    def __pow__(self, other):                   # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a
        a, b = self, _lift(other, self)
        out = a.value ** b.value

        def backward(g):
            gb = g * out * np.log(a.value) if b.requires_grad else None
            return g * b.value * a.value ** (b.value - 1), gb
        return _make(out, (a, b), backward, "pow")

    def __matmul__(self, other):                # C = AB: dL/dA = G B^T, dL/dB = A^T G
        a, b = self, _lift(other, self)
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match (the last "
                             "axis of the first must equal the first axis of a 1-D second, "
                             "or its second-to-last axis)")
        A = a.value[None, :] if a.ndim == 1 else a.value    # a vector is a 1-row matrix,
        B = b.value[:, None] if b.ndim == 1 else b.value    # or a 1-column one

        def backward(g):
            G = g[..., None] if b.ndim == 1 else g          # restore the axes 1-D dropped
            G = G[..., None, :] if a.ndim == 1 else G
            ga = G @ np.swapaxes(B, -1, -2) if a.requires_grad else None
            gb = np.swapaxes(A, -1, -2) @ G if b.requires_grad else None
            if a.ndim == 1 and ga is not None:
                ga = ga[..., 0, :]
            if b.ndim == 1 and gb is not None:
                gb = gb[..., 0]
            return ga, gb
        return _make(a.value @ b.value, (a, b), backward, "matmul")

    def __neg__(self):
        return _make(-self.value, (self,), lambda g: (-g,), "neg")

    def __getitem__(self, index):               # dL/da: g scattered back, repeats added
        shape = self.shape

        def backward(g):
            ga = np.zeros(shape, dtype=g.dtype)
            np.add.at(ga, index, g)             # ga[index] += g would keep one of repeats
            return (ga,)
        return _make(self.value[index], (self,), backward, "getitem")

    def sum(self, axis=None, keepdims: bool = False):
        """Sum over ``axis`` (int, tuple or None); d/da = 1, so g is copied to every entry."""
        shape = self.shape

        def backward(g):
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)     # put back the summed axes, of size 1
            return (np.broadcast_to(g, shape),)
        return _make(self.value.sum(axis=axis, keepdims=keepdims), (self,), backward, "sum")

    def mean(self, axis=None, keepdims: bool = False):
        """A sum divided by the number of entries summed: no backward of its own."""
        axes = range(self.ndim) if axis is None else np.atleast_1d(axis)
        count = math.prod(self.shape[i] for i in axes)
        return self.sum(axis=axis, keepdims=keepdims) / count

    def reshape(self, *shape):                  # a reshape moves no number: reshape g back
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        old = self.shape
        return _make(self.value.reshape(shape), (self,), lambda g: (g.reshape(old),),
                     "reshape")

    def transpose(self, *axes):                 # g transposed by the inverse permutation
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(axes) or tuple(range(self.ndim))[::-1]
        inverse = tuple(np.argsort(axes))
        return _make(self.value.transpose(axes), (self,),
                     lambda g: (g.transpose(inverse),), "transpose")

    T = property(lambda self: self.transpose())

    def exp(self):                              # d e^a/da = e^a
        out = np.exp(self.value)
        return _make(out, (self,), lambda g: (g * out,), "exp")

    def log(self):                              # d log a/da = 1/a
        return _make(np.log(self.value), (self,), lambda g: (g / self.value,), "log")

    def relu(self):                             # d max(a, 0)/da = [a > 0] (0 at the kink)
        return _make(np.maximum(self.value, 0), (self,), lambda g: (g * (self.value > 0),),
                     "relu")

    def tanh(self):                             # d tanh a/da = 1 - tanh^2 a
        out = np.tanh(self.value)
        return _make(out, (self,), lambda g: (g * (1 - out * out),), "tanh")

    def sigmoid(self):                          # d sigma(a)/da = sigma (1 - sigma)
        out = sigmoid(self.value)
        return _make(out, (self,), lambda g: (g * out * (1 - out),), "sigmoid")

    def log_softmax(self, axis: int = -1):
        """:math:`\\log s = a - \\operatorname{logsumexp}(a)`; backward :math:`g - s \\sum g`."""
        out = log_softmax(self.value, axis=axis)
        return _make(out, (self,),
                     lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),),
                     "log_softmax")

    # reflected operators: 2 * t, 1 - t, x @ t with plain numbers and arrays
    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return _lift(other, self) - self

    def __rtruediv__(self, other):
        return _lift(other, self) / self

    def __rpow__(self, other):
        return _lift(other, self) ** self

    def __rmatmul__(self, other):
        return _lift(other, self) @ self


def _lift(x, like: Tensor) -> Tensor:
    """``x`` as a Tensor: a plain number or array becomes a constant of ``like``'s dtype."""
    return x if isinstance(x, Tensor) else Tensor(x, dtype=like.dtype)


def _make(value, parents: tuple, backward, op: str) -> Tensor:
    """The result of an operation: a node of the graph if some parent needs a gradient."""
    out = Tensor(value)
    out.op = op
    if _GRAD_ENABLED and any(p.requires_grad for p in parents):
        out.requires_grad = True
        out._parents = parents
        out._backward = backward
    return out


def _topological_order(root: Tensor) -> list:
    """Every node ``root`` depends on, each after all of its parents (iterative DFS).

    A node is appended once all its parents are, so ``reversed(order)`` reaches a node only
    after every node that uses it. An explicit stack, not recursion: a graph 10 000
    operations deep is as easy as a shallow one.
    """
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents
                         if p.requires_grad and id(p) not in seen)
    return order


# --- functions, for those who prefer exp(x) to x.exp() ----------------------------------
def tensor(value, requires_grad: bool = False, dtype=None) -> Tensor:
    """``Tensor(value, requires_grad, dtype)``; a leaf such as a weight or an input batch."""
    return Tensor(value, requires_grad=requires_grad, dtype=dtype)


def exp(x):
    return _as_tensor(x).exp()


def log(x):
    return _as_tensor(x).log()


def tanh(x):
    return _as_tensor(x).tanh()


def relu(x):
    return _as_tensor(x).relu()


def maximum(a, b) -> Tensor:
    """Element-wise :math:`\\max(a, b)`; g goes to the larger one (to ``a`` on a tie)."""
    a = _as_tensor(a)
    b = _lift(b, a)
    pick = a.value >= b.value
    return _make(np.maximum(a.value, b.value), (a, b),
                 lambda g: (g * pick, g * ~pick), "maximum")


def softmax_cross_entropy(logits: Tensor, y) -> Tensor:
    r"""Mean cross-entropy of softmax(logits) against integer labels, fused and stable.

    :math:`L = \frac1N \sum_n \big(\operatorname{logsumexp}(z_n) - z_{n,y_n}\big)`, with
    :math:`\partial L/\partial Z = \frac1N(\operatorname{softmax}(Z) - Y)`, ``Y`` one-hot.
    Shapes: ``logits`` ``(N, K)``, ``y`` ``(N,)`` integers in ``0..K-1``.
    """
    logits = _as_tensor(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"logits must be a 2-D array (N, K), got shape {logits.shape}")
    if isinstance(y, Tensor):
        raise TypeError("y must be an array of integer labels, not a Tensor")
    y = as_labels(y, "y", n_samples=logits.shape[0], n_classes=logits.shape[1])
    logp = log_softmax(logits.value)
    rows = np.arange(len(y))

    def backward(g):
        grad = np.exp(logp)                     # softmax(Z)
        grad[rows, y] -= 1                      # softmax(Z) - Y
        grad /= len(y)                          # divided, as nnlib's loss: the same bits
        grad *= g
        return (grad,)
    return _make(-logp[rows, y].mean(), (logits,), backward, "softmax_cross_entropy")


def binary_cross_entropy(logits: Tensor, t) -> Tensor:
    r"""Mean binary cross-entropy of sigmoid(logits) against 0/1 targets, fused and stable.

    :math:`L = \frac1N \sum_n \big(\max(z_n, 0) - z_n t_n + \log(1 + e^{-|z_n|})\big)`, with
    :math:`\partial L/\partial z = \frac1N(\sigma(z) - t)`. Shapes: ``logits`` ``(N, 1)`` or
    ``(N,)``, ``t`` the same (numbers in [0, 1]).
    """
    logits = _as_tensor(logits, "logits")
    if isinstance(t, Tensor):
        raise TypeError("t must be an array of targets, not a Tensor")
    t = np.asarray(t, dtype=logits.dtype)
    if t.shape != logits.shape:
        raise ValueError(f"t must have the shape of logits, {logits.shape}, got {t.shape}")
    z = logits.value
    per_row = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return _make(per_row.mean(), (logits,), lambda g: ((sigmoid(z) - t) / t.size * g,),
                 "binary_cross_entropy")


def graph(root: Tensor) -> list:
    """Every tensor on a path to ``root`` that needs a gradient, ``root`` last, each after its
    parents (the order of the forward pass; ``backward()`` walks it in reverse)."""
    return _topological_order(_as_tensor(root, "root"))


def _as_tensor(x, name: str = "x") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}; wrap it: "
                        "Tensor(x) (or Tensor(x, requires_grad=True) for a gradient)")
    return x


# --- next to nnlib's hand-written layers --------------------------------------------------
def parameter_leaves(module) -> dict:
    """A leaf tensor (``requires_grad=True``) for every ``Parameter`` of an nnlib module.

    Keyed by the parameter's name (``"0.W"``, ``"0.b"``, ...). Each leaf's ``value`` **is**
    ``p.value`` (no copy): an optimizer's in-place step shows in the next forward. An
    optimizer moves ``p.value`` into its own buffer when it is built, so make the leaves
    after the optimizer (or at every step: it costs nothing).
    """
    return {name: Tensor(p.value, requires_grad=True) for name, p in module.named_parameters()}


def store_grads(leaves: dict, module) -> None:
    """Write each leaf's ``grad`` into the module's ``p.grad`` (overwritten, like ``backward``).

    Then an nnlib optimizer can take its step from gradients the engine computed.
    """
    params = dict(module.named_parameters())
    for name, leaf in leaves.items():
        if leaf.grad is None:
            raise RuntimeError(f"leaf {name!r} has no gradient: call loss.backward() first")
        params[name].grad[...] = leaf.grad
