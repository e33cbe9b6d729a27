r"""Data augmentation: small random shifts of images, a regularizer that adds data.

A digit or a character moved by a pixel or two is still the same class. Training on
randomly shifted copies of the images, a new draw every epoch, shows the network many
more distinct inputs than there are images, and teaches it that the exact position does
not matter (Simard, Steinkraus and Platt, 2003). Like a weight penalty or dropout it
lowers the training accuracy and raises the validation accuracy; unlike them it changes
the data, not the model.

A shift by :math:`(\delta_y, \delta_x)` pixels moves the content down by :math:`\delta_y`
and right by :math:`\delta_x`, filling the uncovered border with zeros (the background of
MNIST and Kuzushiji-MNIST) and dropping what leaves the frame; nothing wraps around:

.. math::
    \tilde x_{r,c} = \begin{cases} x_{r-\delta_y,\;c-\delta_x} &
    \text{if } 0 \le r-\delta_y < H \text{ and } 0 \le c-\delta_x < W,\\
    0 & \text{otherwise.} \end{cases}

Each image gets its own :math:`\delta_y, \delta_x`, drawn uniformly from
:math:`\{-k, \dots, k\}` with ``max_shift`` :math:`= k`.

``fit(..., augment=RandomShift(2))`` trains every epoch on a freshly shifted copy of the
training set (:func:`fit_augmented` is the same call under a name that says it).
"""

from __future__ import annotations

import math

import numpy as np

from .core import Module
from .training import History, fit
from .validation import check_positive_int, make_rng


def _image_shape(images: np.ndarray, image_shape) -> tuple[int, int, int]:
    """``(channels, height, width)`` of the images in ``images``."""
    if images.ndim in (3, 4):
        c, h, w = (1, *images.shape[1:]) if images.ndim == 3 else images.shape[1:]
        if image_shape is not None and tuple(image_shape) != (h, w):
            raise ValueError(f"image_shape={tuple(image_shape)} does not match images of "
                             f"shape {images.shape}")
        return c, h, w
    if images.ndim != 2:
        raise ValueError(f"images must be (N, H, W), (N, C, H, W) or flattened (N, H*W), "
                         f"got shape {images.shape}")
    if image_shape is None:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"cannot infer the image shape of rows of {images.shape[1]} "
                             "pixels; pass image_shape=(height, width)")
        return 1, side, side
    h, w = (int(s) for s in image_shape)
    if h * w != images.shape[1]:
        raise ValueError(f"image_shape={tuple(image_shape)} has {h * w} pixels but the rows "
                         f"of images have {images.shape[1]}")
    return 1, h, w


def shift_images(images, shifts, *, image_shape=None):
    r"""Shift image ``n`` by ``shifts[n] = (dy, dx)`` pixels, with zero fill, no wrap-around.

    The deterministic half of :func:`random_shift`: :math:`\tilde x_{r,c} =
    x_{r-\delta_y,\,c-\delta_x}` inside the frame, 0 where that pixel would come from
    outside it. A positive ``dy`` moves the content down, a positive ``dx`` to the right.

    Parameters
    ----------
    images : ndarray, shape (N, H, W), (N, C, H, W) or flattened (N, H*W)
        Any dtype. Not modified. The channels of an image move together.
    shifts : array of int, shape (N, 2)
        ``(dy, dx)`` for each image, each of absolute value less than the image's side.
    image_shape : (int, int), optional
        ``(H, W)`` of flattened rows; by default they are taken to be square.

    Returns
    -------
    ndarray, same shape and dtype as ``images`` (a new array).

    Notes
    -----
    Vectorised: the images are grouped by their shift, and each group is moved with one
    slice assignment, so the cost is about two copies of the data plus one small loop
    over the distinct shifts (25 for shifts of up to 2 pixels).
    """
    images = np.asarray(images)
    c, h, w = _image_shape(images, image_shape)
    n = images.shape[0]
    shifts = np.asarray(shifts)
    if shifts.shape != (n, 2) or shifts.dtype.kind not in "iu":
        raise ValueError(f"shifts must be an integer array of shape ({n}, 2), one (dy, dx) "
                         f"per image; got {shifts.dtype} of shape {shifts.shape}")
    if n and (np.abs(shifts[:, 0]).max() >= h or np.abs(shifts[:, 1]).max() >= w):
        raise ValueError(f"a shift of {np.abs(shifts).max()} pixels moves a {h}x{w} image "
                         "entirely out of the frame")
    src = images.reshape(n, c, h, w)
    out = np.zeros_like(src)
    # Group the images by their (dy, dx); a stable sort keeps each group in order.
    pairs, inverse = np.unique(shifts, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(pairs) + 1))
    for g, (dy, dx) in enumerate(pairs):
        members = order[bounds[g]:bounds[g + 1]]
        dy, dx = int(dy), int(dx)
        # destination rows/columns [lo, hi) receive source rows/columns [lo - d, hi - d)
        r0, r1 = max(dy, 0), h + min(dy, 0)
        c0, c1 = max(dx, 0), w + min(dx, 0)
        out[members, :, r0:r1, c0:c1] = src[members, :, r0 - dy:r1 - dy, c0 - dx:c1 - dx]
    return out.reshape(images.shape)


def random_shift(images, max_shift: int = 2, rng=None, *, image_shape=None,
                 return_shifts: bool = False):
    r"""Shift every image by its own random whole number of pixels, with zero fill.

    Parameters
    ----------
    images : ndarray, shape (N, H, W), (N, C, H, W) or flattened (N, H*W)
        Any dtype (float32 pixels in [0, 1] as the loaders give, or uint8). Not modified.
    max_shift : int
        :math:`k`: each image moves by :math:`\delta_y, \delta_x \in \{-k, \dots, k\}`
        pixels, drawn independently and uniformly. ``0`` returns an unshifted copy.
    rng : int or numpy.random.Generator, optional
        Source of the shifts: the same seed gives the same shifts.
    image_shape : (int, int), optional
        ``(H, W)`` of flattened rows; by default they are taken to be square.
    return_shifts : bool
        Also return the ``(N, 2)`` integer array of :math:`(\delta_y, \delta_x)`.

    Returns
    -------
    ndarray, same shape and dtype as ``images`` (a new array); with ``return_shifts``
    the pair ``(shifted, shifts)``. The pixels are moved by :func:`shift_images`.
    """
    images = np.asarray(images)
    max_shift = check_positive_int(max_shift, "max_shift", minimum=0)
    _, h, w = _image_shape(images, image_shape)
    if max_shift >= min(h, w):
        raise ValueError(f"max_shift={max_shift} would move {h}x{w} images entirely out of "
                         f"the frame; use fewer than {min(h, w)} pixels")
    shifts = make_rng(rng).integers(-max_shift, max_shift + 1, size=(images.shape[0], 2))
    out = shift_images(images, shifts, image_shape=image_shape)
    return (out, shifts) if return_shifts else out


class RandomShift:
    """An augmentation for :func:`fit_augmented`: ``RandomShift(k)(X, rng)`` is
    ``random_shift(X, k, rng)``."""

    def __init__(self, max_shift: int = 2, image_shape=None):
        self.max_shift = check_positive_int(max_shift, "max_shift", minimum=0)
        self.image_shape = image_shape

    def __call__(self, X, rng):
        return random_shift(X, self.max_shift, rng, image_shape=self.image_shape)

    def __repr__(self):
        return f"RandomShift(max_shift={self.max_shift})"


def fit_augmented(model: Module, X, y, *, augment, **fit_kwargs) -> History:
    """:func:`~nnlib.training.fit` on a freshly augmented copy of ``X`` every epoch.

    The same as ``fit(model, X, y, augment=augment, ...)``: each epoch draws
    ``X_aug = augment(X, rng)`` from the generator of ``seed`` (which also shuffles), and
    trains one epoch on ``(X_aug, y)`` with the same optimizer (Adam's moments carry over)
    and the same :class:`~nnlib.training.History`. Validation data is never augmented.

    Parameters
    ----------
    augment : callable
        ``augment(X, rng) -> X_aug`` with the shape of ``X``, e.g. :class:`RandomShift`.
    **fit_kwargs
        Every argument of :func:`~nnlib.training.fit`: ``epochs``, ``optimizer``, ``lr``,
        ``validation_data``, ``callbacks``, ``seed``, ``schedule``, ...
    """
    return fit(model, X, y, augment=augment, **fit_kwargs)


__all__ = ["shift_images", "random_shift", "RandomShift", "fit_augmented"]
