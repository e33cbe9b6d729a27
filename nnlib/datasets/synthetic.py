"""Small 2-D data sets for the early chapters: spirals, circles, moons, separable blobs.

Every function returns ``X`` of shape ``(n, 2)`` and dtype float32 and ``y`` of shape
``(n,)`` and dtype int64 (class indices), and takes a ``seed``: an int, a
``numpy.random.Generator`` or None (fresh randomness). NumPy's global random state is never
used, so the same seed gives the same data in every notebook and on every machine.

Arguments are checked before any work: a size that is not an integer (``100.0``, ``True``)
or a noise that is not a number gives a ``TypeError``, a size below the minimum, a negative
or non-finite noise or a negative seed a ``ValueError``, each naming the argument.
scikit-learn is imported only after the checks pass.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import check_number, check_positive_int, make_rng

MAX_SAMPLES = 10**8
"""The largest number of points a generator makes (3.2 GB of float64 work arrays)."""


def _check_size(value, name: str, minimum: int) -> int:
    value = check_positive_int(value, name, minimum=minimum)
    if value > MAX_SAMPLES:
        raise ValueError(f"{name} must be at most {MAX_SAMPLES:,}, got {value:,}")
    return value


def _check_seed(seed):
    """Check ``seed`` (int >= 0, Generator or None) and return it unchanged."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return seed
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, "
                    f"got {type(seed).__name__} {seed!r}")


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _import_sklearn(function: str):
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(f"{function} needs scikit-learn: pip install scikit-learn "
                          "(make_spiral and make_blobs_separable do not)") from None
    return sklearn.datasets


def make_spiral(n_per_class: int = 500, n_classes: int = 3, noise: float = 0.2,
                seed=None) -> tuple[np.ndarray, np.ndarray]:
    """K interleaved spiral arms, the classic data set that no linear model can separate.

    The construction of Stanford's CS231n notes: the points of class ``k`` have radius
    ``r = linspace(0, 1, n_per_class)`` and angle
    ``t = linspace(4k, 4(k+1), n_per_class) + noise * N(0, 1)``, and sit at
    ``(r sin t, r cos t)``.

    Returns
    -------
    X : ndarray of float32, shape (n_per_class * n_classes, 2), inside the unit disc
    y : ndarray of int64, shape (n_per_class * n_classes,), sorted by class ``0..K-1``
    """
    n_per_class = _check_size(n_per_class, "n_per_class", minimum=1)
    n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
    if n_per_class * n_classes > MAX_SAMPLES:
        raise ValueError(f"n_per_class * n_classes must be at most {MAX_SAMPLES:,}, got "
                         f"{n_per_class:,} * {n_classes:,}")
    noise = check_number(noise, "noise", low=0)
    rng = make_rng(_check_seed(seed))
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    t = np.concatenate([np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class)
                        for k in range(n_classes)])
    t = t + noise * rng.standard_normal(t.shape)
    X = np.column_stack([r * np.sin(t), r * np.cos(t)]).astype(np.float32)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    return X, y


def _sklearn_state(seed) -> int:
    """An int ``random_state`` for scikit-learn (None there would use NumPy's global state).

    An int seed is passed through unchanged, so ``seed=0`` gives scikit-learn's
    ``random_state=0`` data; a Generator or None is turned into an int drawn from it.
    """
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if not 0 <= seed < 2**32:
            raise ValueError(f"seed must be in 0..2**32-1 for scikit-learn, got {seed}")
        return int(seed)
    return int(make_rng(seed).integers(2**31 - 1))


def make_circles(n_samples: int = 200, noise: float = 0.1, factor: float = 0.5,
                 seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (scikit-learn's ``make_circles``): outer class 0, inner class 1.

    Parameters
    ----------
    n_samples : int
        Total number of points (the outer circle gets the odd one).
    noise : float
        Standard deviation of the Gaussian noise added to every coordinate.
    factor : float in (0, 1)
        Radius of the inner circle relative to the outer one (radius 1).

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,), in {0, 1}, shuffled
    """
    n_samples = _check_size(n_samples, "n_samples", minimum=2)
    noise = check_number(noise, "noise", low=0)
    factor = check_number(factor, "factor", low=0, high=1, low_inclusive=False,
                          high_inclusive=False)
    state = _sklearn_state(_check_seed(seed))
    X, y = _import_sklearn("make_circles").make_circles(
        n_samples=n_samples, noise=noise, factor=factor, random_state=state)
    return X.astype(np.float32), y.astype(np.int64)


def make_moons(n_samples: int = 200, noise: float = 0.1,
               seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), classes 0 and 1.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,), in {0, 1}, shuffled
    """
    n_samples = _check_size(n_samples, "n_samples", minimum=2)
    noise = check_number(noise, "noise", low=0)
    state = _sklearn_state(_check_seed(seed))
    X, y = _import_sklearn("make_moons").make_moons(
        n_samples=n_samples, noise=noise, random_state=state)
    return X.astype(np.float32), y.astype(np.int64)


def make_blobs_separable(n_samples: int = 100, margin: float = 1.0, spread: float = 1.0,
                         seed=None, return_boundary: bool = False):
    """Two linearly separable clouds with a guaranteed gap, for the perceptron.

    A random unit normal ``w`` and offset ``b`` define the line ``x @ w + b = 0``. Each
    point gets a position along the line ~ ``N(0, (2 spread)^2)`` and a distance from it of
    ``margin / 2 + |N(0, spread^2)|``, on the positive side for class 1 and the negative
    side for class 0. So no point is closer than ``margin / 2`` to the line (up to float32
    rounding): the data are separable with geometric margin ``gamma >= margin / 2``, which
    is what the perceptron convergence bound ``(R / gamma)^2`` needs.

    Parameters
    ----------
    n_samples : int
        Total number of points; class 1 gets the odd one.
    margin : float > 0
        Width of the empty band between the classes.
    spread : float > 0
        Scale of the clouds.
    return_boundary : bool
        Also return the separating line ``(w, b)``.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 2), in random order
    y : ndarray of int64, shape (n_samples,), labels in {0, 1} (not -1/+1: map with
        ``2 * y - 1`` where the perceptron rule wants signs)
    w, b : ndarray of float64, shape (2,), and float, only if ``return_boundary``;
        ``sign(X @ w + b)`` is ``+1`` exactly for class 1
    """
    n_samples = _check_size(n_samples, "n_samples", minimum=2)
    margin = check_number(margin, "margin", low=0, low_inclusive=False)
    spread = check_number(spread, "spread", low=0, low_inclusive=False)
    return_boundary = _check_flag(return_boundary, "return_boundary")
    rng = make_rng(_check_seed(seed))
    angle = rng.uniform(0.0, 2.0 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])  # unit normal of the boundary
    u = np.array([-w[1], w[0]])  # direction along the boundary
    centre = rng.normal(0.0, spread, size=2)  # a point on the boundary
    y = (np.arange(n_samples) >= n_samples // 2).astype(np.int64)
    rng.shuffle(y)
    sign = 2.0 * y - 1.0
    along = rng.normal(0.0, 2.0 * spread, size=n_samples)
    dist = margin / 2 + np.abs(rng.normal(0.0, spread, size=n_samples))
    X = centre + np.outer(along, u) + np.outer(sign * dist, w)
    X = X.astype(np.float32)
    if return_boundary:
        return X, y, w, float(-centre @ w)
    return X, y
