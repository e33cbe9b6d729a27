r"""Weight initialisation: He and Xavier/Glorot, normal and uniform.

For a Dense layer with ``n_in`` inputs and ``n_out`` outputs, ``W`` has shape
``(n_in, n_out)``. The aim is to keep the variance of activations (forward) and of
gradients (backward) roughly constant from layer to layer.

=================  ==========================================  ================================
name               distribution                                 why
=================  ==========================================  ================================
``he_normal``      :math:`\mathcal N(0,\ 2/n_{in})`             ReLU halves the variance
``he_uniform``     :math:`U(-a, a),\ a = \sqrt{6/n_{in}}`       same variance, bounded
``xavier_normal``  :math:`\mathcal N(0,\ 2/(n_{in}+n_{out}))`   tanh / sigmoid / linear
``xavier_uniform`` :math:`U(-a, a),\ a = \sqrt{6/(n_{in}+n_{out})}`
``zeros``          all zeros (biases; never for weights)
=================  ==========================================  ================================

(A uniform on ``[-a, a]`` has variance :math:`a^2/3`, which is where the 6 comes from.)
"""

from __future__ import annotations

import numpy as np

from .validation import check_choice, check_float_dtype, check_positive_int, make_rng


def _check_arguments(n_in, n_out, dtype) -> None:
    """The fans are positive integers, the dtype a floating-point type."""
    check_positive_int(n_in, "n_in")
    check_positive_int(n_out, "n_out")
    check_float_dtype(dtype)


def he_normal(n_in, n_out, rng=None, dtype=np.float32, shape=None):
    """He et al. (2015): ``W ~ N(0, 2 / n_in)``, shape ``(n_in, n_out)`` (or ``shape``)."""
    _check_arguments(n_in, n_out, dtype)
    rng = make_rng(rng)
    return (rng.standard_normal(shape or (n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)


def he_uniform(n_in, n_out, rng=None, dtype=np.float32, shape=None):
    """He et al. (2015), uniform: ``W ~ U(-a, a)`` with ``a = sqrt(6 / n_in)``."""
    _check_arguments(n_in, n_out, dtype)
    a = np.sqrt(6.0 / n_in)
    return make_rng(rng).uniform(-a, a, shape or (n_in, n_out)).astype(dtype)


def xavier_normal(n_in, n_out, rng=None, dtype=np.float32, shape=None):
    """Glorot & Bengio (2010): ``W ~ N(0, 2 / (n_in + n_out))``."""
    _check_arguments(n_in, n_out, dtype)
    std = np.sqrt(2.0 / (n_in + n_out))
    return (make_rng(rng).standard_normal(shape or (n_in, n_out)) * std).astype(dtype)


def xavier_uniform(n_in, n_out, rng=None, dtype=np.float32, shape=None):
    """Glorot & Bengio (2010), uniform: ``a = sqrt(6 / (n_in + n_out))``."""
    _check_arguments(n_in, n_out, dtype)
    a = np.sqrt(6.0 / (n_in + n_out))
    return make_rng(rng).uniform(-a, a, shape or (n_in, n_out)).astype(dtype)


def zeros(n_in, n_out, rng=None, dtype=np.float32, shape=None):
    """All zeros. Fine for biases; for weights it makes every unit identical (symmetry)."""
    return np.zeros(shape or (n_in, n_out), dtype=dtype)


INITIALIZERS = {
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "glorot_normal": xavier_normal,
    "glorot_uniform": xavier_uniform,
    "zeros": zeros,
}


def initialize(name, n_in, n_out, rng=None, dtype=np.float32, shape=None):
    """Draw a weight array with the initialiser called ``name``: the one path for every layer.

    ``n_in`` and ``n_out`` are the fans (the inputs and outputs each weight connects);
    ``shape`` is the array's shape, by default the matrix ``(n_in, n_out)`` of a Dense
    layer. A convolution's kernel ``(C_out, C, k_h, k_w)`` has fans ``C k_h k_w`` and
    ``C_out k_h k_w``.
    """
    check_choice(name, "init", INITIALIZERS)
    check_positive_int(n_in, "n_in")
    check_positive_int(n_out, "n_out")
    check_float_dtype(dtype)
    if shape is not None:
        shape = tuple(check_positive_int(s, "shape[i]") for s in shape)
    return INITIALIZERS[name](n_in, n_out, rng=rng, dtype=dtype, shape=shape)
