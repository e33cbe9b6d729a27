"""nnlib: neural networks from scratch in NumPy, the library of the course.

Open a file next to its chapter: ``core.py`` (Module, Sequential), ``layers.py`` (Dense,
Dropout), ``activations.py``, ``losses.py``, ``init.py``, ``gradcheck.py``, ...
Plotting (``nnlib.plotting``) and datasets (``nnlib.datasets``) are imported on demand,
so ``import nnlib`` stays fast and never imports matplotlib.
"""

from .activations import (LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, Identity, get_activation,
                          log_softmax, sigmoid, softmax)
from .core import Module, Parameter, Sequential
from .gradcheck import check_loss, check_module, numerical_gradient, relative_error
from .layers import Dense, Dropout
from .losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy

__version__ = "0.1.0"

__all__ = [
    "Module", "Parameter", "Sequential", "Dense", "Dropout",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Identity", "get_activation",
    "sigmoid", "softmax", "log_softmax",
    "SoftmaxCrossEntropy", "BinaryCrossEntropy", "MeanSquaredError",
    "check_module", "check_loss", "numerical_gradient", "relative_error",
]
