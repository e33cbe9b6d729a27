"""Build a multi-layer perceptron from a list of layer sizes."""

from __future__ import annotations

import numpy as np

from .activations import get_activation
from .core import Sequential
from .layers import Dense, Dropout
from .validation import check_number, check_positive_int, make_rng

# He initialisation suits ReLU-like units, Xavier/Glorot suits tanh, sigmoid and linear.
DEFAULT_INIT = {"relu": "he_normal", "leaky_relu": "he_normal", "tanh": "xavier_normal",
                "sigmoid": "xavier_normal", "identity": "xavier_normal"}


def build_mlp(n_in: int, hidden_sizes, n_out: int, activation: str = "relu",
              dropout: float = 0.0, init: str | None = None, seed=None,
              dtype=np.float32) -> Sequential:
    """``Dense -> activation [-> Dropout]`` for each hidden size, then a final ``Dense``.

    The output layer has no activation: it returns logits, for
    :class:`~nnlib.losses.SoftmaxCrossEntropy` or :class:`~nnlib.losses.BinaryCrossEntropy`.
    ``hidden_sizes=()`` gives a linear (softmax-regression) model.

    Example: ``build_mlp(784, [256, 128], 10)`` is 784-256-128-10 with ReLU.
    """
    n_in = check_positive_int(n_in, "n_in")
    n_out = check_positive_int(n_out, "n_out")
    if isinstance(hidden_sizes, int):
        hidden_sizes = [hidden_sizes]
    hidden_sizes = [check_positive_int(h, "hidden_sizes[i]") for h in hidden_sizes]
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a name such as 'relu', got {activation!r}")
    activation_type = type(get_activation(activation))   # a ValueError for an unknown name
    activation = activation.lower()
    dropout = check_number(dropout, "dropout", 0.0, 1.0, high_inclusive=False)
    init = init or DEFAULT_INIT[activation]
    rng = make_rng(seed)
    layers = []
    sizes = [n_in, *hidden_sizes]
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [Dense(a, b, init=init, seed=rng, dtype=dtype), activation_type()]
        if dropout > 0:
            layers.append(Dropout(dropout, seed=rng))
    out_init = "xavier_normal" if init.startswith("he") else init
    layers.append(Dense(sizes[-1], n_out, init=out_init, seed=rng, dtype=dtype))
    return Sequential(layers)
