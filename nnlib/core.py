"""The building blocks every network is made of: ``Parameter``, ``Module``, ``Sequential``,
``Residual``.

A network is a chain of modules. Each module has

* ``forward(x)``: compute its output and remember what the backward pass needs;
* ``backward(grad_out)``: given :math:`\\partial L / \\partial \\text{out}` (same shape as
  the output), store :math:`\\partial L / \\partial \\theta` in every parameter's ``grad``
  and return :math:`\\partial L / \\partial x` (same shape as the input).

There is no autograd: every backward pass is written out by hand, next to its maths.
``backward`` **overwrites** the gradients of the parameters (it does not add to them), so
one forward and one backward give the gradient of one mini-batch. A regularizer adds its
own gradient afterwards (see :mod:`nnlib.regularizers`).
"""

from __future__ import annotations

import numpy as np

from .validation import check_float_dtype


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    Attributes
    ----------
    value : ndarray
        The parameter itself, e.g. a weight matrix of shape ``(n_in, n_out)``.
    grad : ndarray
        :math:`\\partial L / \\partial \\text{value}`, same shape and dtype, set by ``backward``.
    name : str
        ``"W"`` or ``"b"`` for a Dense layer; regularizers penalise only weights (``"W"``).
    """

    def __init__(self, value: np.ndarray, name: str = ""):
        self.value = value
        self.grad = np.zeros_like(value)
        self.name = name

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def is_weight(self) -> bool:
        """True for weight matrices (``W``), False for biases."""
        return self.name == "W"

    def __repr__(self):
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


class Module:
    """Base class of layers, activations and containers.

    Subclasses implement ``forward`` and ``backward``. Parameters and sub-modules stored
    as attributes are found automatically by :meth:`parameters`.
    """

    training: bool = True
    #: Names of attributes holding state that is not trained but belongs to the model (a
    #: running mean, say): ndarrays, updated in place, saved and loaded with the parameters.
    state_names: tuple = ()

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad_out, need_input_grad: bool = True):
        """Store parameter gradients; return the gradient for the input.

        ``need_input_grad=False`` lets a first layer skip the (unused) input gradient,
        which saves one matrix product per step; it then returns ``None``.
        """
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, x):
        return self.forward(x)

    # --- parameters and sub-modules -------------------------------------------------
    def children(self):
        """Direct sub-modules, in the order they were assigned."""
        for value in vars(self).values():
            if isinstance(value, Module):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, Module))

    def named_parameters(self, prefix: str = ""):
        """Yield ``(name, Parameter)`` pairs, e.g. ``("0.W", ...)``, in a stable order."""
        for key, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + (value.name or key), value
        for i, child in enumerate(self.children()):
            yield from child.named_parameters(f"{prefix}{i}.")

    def named_state(self, prefix: str = ""):
        """Yield ``(name, ndarray)`` for the non-trained state (``state_names``) of the tree."""
        for key in self.state_names:
            yield prefix + key, getattr(self, key)
        for i, child in enumerate(self.children()):
            yield from child.named_state(f"{prefix}{i}.")

    def parameters(self) -> list[Parameter]:
        """All trainable parameters of this module and its sub-modules."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter gradient to zero."""
        for p in self.parameters():
            p.grad[...] = 0

    def n_parameters(self) -> int:
        """Number of trainable scalars."""
        return sum(p.value.size for p in self.parameters())

    # --- modes and dtypes ------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active). Returns ``self``."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout is the identity). Returns ``self``."""
        return self.train(False)

    def astype(self, dtype) -> Module:
        """Convert every parameter (and its gradient) and every floating-point state array
        (``state_names``) to ``dtype``, e.g. ``np.float64``."""
        check_float_dtype(dtype)
        for p in self.parameters():
            p.value = p.value.astype(dtype)
            p.grad = np.zeros_like(p.value)
        stack = [self]
        while stack:
            module = stack.pop()
            for key in module.state_names:
                value = getattr(module, key)
                if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    setattr(module, key, value.astype(dtype))
            stack.extend(module.children())
        return self

    def __repr__(self):
        return f"{type(self).__name__}()"


class Sequential(Module):
    """Modules applied one after another: ``out = layers[-1](... layers[0](x))``.

    Backward runs through the layers in reverse, feeding each the gradient the next one
    returned (the chain rule).
    """

    def __init__(self, *layers: Module):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"layer {i} must be an nnlib Module, got {type(layer).__name__}")
            first = next(j for j, other in enumerate(layers) if other is layer)
            if first < i:
                raise ValueError(
                    f"layer {i} is the same object as layer {first}: its second forward pass "
                    "would overwrite what the backward pass of the first needs; create one "
                    "layer per position, e.g. ReLU() twice")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out, need_input_grad: bool = True):
        # Without an input gradient we can stop at the first layer that has parameters.
        stop = 0
        if not need_input_grad:
            stop = next((i for i, layer in enumerate(self.layers) if layer.parameters()),
                        len(self.layers))
        for i in range(len(self.layers) - 1, stop - 1, -1):
            grad_out = self.layers[i].backward(grad_out,
                                               need_input_grad=need_input_grad or i > stop)
        return grad_out if need_input_grad else None

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        inner = ",\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


class Residual(Module):
    r"""A residual connection around ``module`` (He et al., 2016): :math:`y = x + f(x)`.

    ``f`` must keep the shape of its input. Backward, given :math:`G = \partial L/\partial y`:
    the identity passes :math:`G` straight through and ``f`` adds its own input gradient,

    .. math::
        \frac{\partial L}{\partial x} = G + \frac{\partial f}{\partial x}^{\!\top} G ,

    so the gradient reaches the layers below even where ``f``'s own gradient has vanished:
    the reason very deep networks train with these connections and not without.
    """

    def __init__(self, module: Module):
        if not isinstance(module, Module):
            raise TypeError(f"module must be an nnlib Module, got {type(module).__name__}")
        self.module = module
        self._shape = None

    def forward(self, x):
        out = self.module.forward(x)
        x = np.asarray(x)
        if out.shape != x.shape:
            raise ValueError(f"Residual needs a module that keeps the shape of its input: "
                             f"{self.module!r} maps {x.shape} to {out.shape}")
        self._shape = x.shape
        return x + out

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._shape is None:
            raise RuntimeError("Residual.backward called before forward")
        grad_out = np.asarray(grad_out)
        if grad_out.shape != self._shape:
            raise ValueError(f"grad_out must have shape {self._shape}, got {grad_out.shape} "
                             f"(Residual.backward takes the gradient of its last output)")
        inner = self.module.backward(grad_out, need_input_grad=need_input_grad)
        if not need_input_grad:
            return None
        return grad_out + inner                 # the identity's gradient plus f's

    def __repr__(self):
        return f"Residual({self.module!r})"
