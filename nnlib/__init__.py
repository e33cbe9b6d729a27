"""nnlib: neural networks from scratch in NumPy, the library of the course.

Open a file next to its chapter: ``core.py`` (Module, Sequential), ``layers.py`` (Dense,
Dropout), ``activations.py``, ``losses.py``, ``init.py``, ``gradcheck.py``, ...
Datasets (``nnlib.datasets``) are imported on demand. The course machinery (plotting,
widgets, exercise checkers, instructor tools) lives in ``nnlib.course`` and is never imported
by the library, so ``import nnlib`` stays fast and never imports matplotlib.
"""

from .activations import (
                          Identity,
                          LeakyReLU,
                          ReLU,
                          Sigmoid,
                          Softmax,
                          Tanh,
                          get_activation,
                          log_softmax,
                          sigmoid,
                          softmax,
)
from .classifier import NeuralNetClassifier
from .conv import Conv2D, Flatten, MaxPool2D, Reshape, build_cnn
from .core import Module, Parameter, Residual, Sequential
from .gradcheck import check_loss, check_module, numerical_gradient, relative_error
from .io import load_parameters, save_parameters
from .layers import Dense, Dropout
from .losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from .metrics import accuracy, confusion_matrix
from .mlp import build_mlp
from .normalization import BatchNorm, LayerNorm
from .optim import SGD, AdaGrad, Adam, AdamW, RMSProp, clip_grad_norm, get_optimizer
from .perceptron import Perceptron
from .preprocessing import MinMaxScaler, StandardScaler, one_hot, train_val_split
from .regularizers import L1, L2, ElasticNet
from .schedules import Constant, CosineDecay, ExponentialDecay, LinearWarmup, StepDecay
from .training import Callback, EarlyStopping, History, TrainingDiverged, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "Module", "Parameter", "Sequential", "Residual", "Dense", "Dropout", "BatchNorm", "LayerNorm",
    "Conv2D", "MaxPool2D", "Flatten", "Reshape", "build_cnn",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Identity", "get_activation",
    "sigmoid", "softmax", "log_softmax",
    "SoftmaxCrossEntropy", "BinaryCrossEntropy", "MeanSquaredError",
    "check_module", "check_loss", "numerical_gradient", "relative_error",
    "NeuralNetClassifier", "save_parameters", "load_parameters", "accuracy", "confusion_matrix",
    "build_mlp", "SGD", "AdaGrad", "RMSProp", "Adam", "AdamW", "clip_grad_norm", "get_optimizer",
    "Perceptron", "MinMaxScaler", "StandardScaler", "one_hot", "train_val_split",
    "L1", "L2", "ElasticNet", "Constant", "StepDecay", "ExponentialDecay", "CosineDecay",
    "LinearWarmup", "fit", "evaluate", "History", "Callback", "EarlyStopping", "TrainingDiverged",
]
