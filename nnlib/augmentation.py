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


def affine_images(images, matrices, offsets, *, image_shape=None):
    r"""Move every image by its own affine map, with bilinear interpolation and zero fill.

    Image ``n`` is transformed about its centre :math:`c = ((H-1)/2, (W-1)/2)`: the content
    at position :math:`p` (row, column) moves to :math:`A_n (p - c) + c + t_n`. Each output
    pixel :math:`q` therefore reads the input at

    .. math::
        p = A_n^{-1} (q - c - t_n) + c,

    interpolated bilinearly between the four pixels around :math:`p`, and 0 (the background)
    where :math:`p` lies outside the frame. ``A = I, t = (dy, dx)`` with whole numbers is
    :func:`shift_images` exactly.

    Parameters
    ----------
    images : float ndarray, shape (N, H, W), (N, C, H, W) or flattened (N, H*W)
        Not modified. The channels of an image move together.
    matrices : array, shape (N, 2, 2)
        :math:`A_n` in (row, column) coordinates; each must be invertible.
    offsets : array, shape (N, 2)
        :math:`t_n = (\delta_y, \delta_x)` in pixels (need not be whole numbers).
    image_shape : (int, int), optional
        ``(H, W)`` of flattened rows; by default they are taken to be square.

    Returns
    -------
    ndarray, same shape and dtype as ``images`` (a new array).
    """
    images = np.asarray(images)
    if images.dtype.kind != "f":
        raise ValueError(f"affine_images interpolates, so images must be floating point; got "
                         f"{images.dtype} (convert with images.astype(np.float32) / 255)")
    c, h, w = _image_shape(images, image_shape)
    n = images.shape[0]
    A = np.asarray(matrices, dtype=np.float64)
    t = np.asarray(offsets, dtype=np.float64)
    if A.shape != (n, 2, 2) or t.shape != (n, 2):
        raise ValueError(f"matrices must have shape ({n}, 2, 2) and offsets ({n}, 2), one per "
                         f"image; got {A.shape} and {t.shape}")
    det = A[:, 0, 0] * A[:, 1, 1] - A[:, 0, 1] * A[:, 1, 0]
    if n and not (np.all(np.isfinite(A)) and np.all(np.isfinite(t))
                  and np.min(np.abs(det)) > 1e-12):
        raise ValueError("every matrix must be finite and invertible, every offset finite")
    inv = np.empty_like(A)                                   # the 2x2 inverses, in closed form
    inv[:, 0, 0], inv[:, 1, 1] = A[:, 1, 1] / det, A[:, 0, 0] / det
    inv[:, 0, 1], inv[:, 1, 0] = -A[:, 0, 1] / det, -A[:, 1, 0] / det
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    # p = inv (q - c - t) + c = inv q + e, with e = c - inv (c + t): per image 6 numbers
    e = centre - np.einsum("nij,nj->ni", inv, centre + t)
    ft = np.float32 if images.dtype.itemsize <= 4 else np.float64
    rows = np.repeat(np.arange(h, dtype=ft), w)             # every output pixel q
    cols = np.tile(np.arange(w, dtype=ft), h)
    src = images.reshape(n, c, h, w)
    padded = np.zeros((n, c, h + 2, w + 2), dtype=images.dtype)   # a zero border of 1 pixel
    padded[:, :, 1:-1, 1:-1] = src
    flat = padded.reshape(-1)
    out = np.empty((n, c, h * w), dtype=images.dtype)
    per_image = (h + 2) * (w + 2)
    for start in range(0, n, 4096):                          # chunks bound the memory
        sl = slice(start, min(start + 4096, n))
        a, e_ = inv[sl].astype(ft), e[sl].astype(ft)
        y = a[:, 0, :1] * rows + a[:, 0, 1:] * cols + e_[:, :1]      # (n, H*W) source row
        x = a[:, 1, :1] * rows + a[:, 1, 1:] * cols + e_[:, 1:]      # and column
        np.clip(y, -1, h, out=y)                             # outside: the zero border
        np.clip(x, -1, w, out=x)
        y0 = np.minimum(np.floor(y), h - 1)
        x0 = np.minimum(np.floor(x), w - 1)
        wy = (y - y0).astype(images.dtype)[:, None]          # (n, 1, H*W)
        wx = (x - x0).astype(images.dtype)[:, None]
        base = (np.arange(sl.start, sl.stop) * c)[:, None, None] + np.arange(c)[:, None]
        i00 = (((y0 + 1) * (w + 2) + (x0 + 1)).astype(np.intp)[:, None]
               + base * per_image)                           # (n, C, H*W) into flat
        top = flat[i00] * (1 - wx) + flat[i00 + 1] * wx
        bottom = flat[i00 + w + 2] * (1 - wx) + flat[i00 + w + 3] * wx
        out[sl] = top * (1 - wy) + bottom * wy
    return out.reshape(images.shape)


def _check_affine_ranges(rotation, scale, shear, shift) -> None:
    """ValueError unless every range is a finite number >= 0, scale < 1, rotation <= 180."""
    ranges = {"rotation": rotation, "scale": scale, "shear": shear, "shift": shift}
    for name, value in ranges.items():
        if not isinstance(value, (int, float, np.integer, np.floating)) or not (
                0 <= float(value) < np.inf):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if scale >= 1 or rotation > 180:
        raise ValueError(f"expected scale < 1 and rotation <= 180 degrees, got scale={scale} "
                         f"and rotation={rotation}")


def random_affine(images, rotation: float = 10.0, scale: float = 0.1, shear: float = 0.0,
                  shift: float = 2.0, rng=None, *, image_shape=None):
    r"""Rotate, scale, shear and shift every image by its own random amounts.

    Each image draws, independently and uniformly, an angle :math:`\theta \in [-r, r]`
    degrees (``rotation``; positive turns the content counter-clockwise), a zoom
    :math:`s \in [1 - \text{scale}, 1 + \text{scale}]`, a horizontal shear
    :math:`k \in [-\text{shear}, \text{shear}]` and a shift of up to ``shift`` pixels in each
    direction, and is moved by :func:`affine_images` with

    .. math::
        A = s \begin{pmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta
        \end{pmatrix} \begin{pmatrix} 1 & 0 \\ k & 1 \end{pmatrix}

    in (row, column) coordinates, rows growing downwards: the rotation takes
    :math:`(r, c)` to :math:`(r\cos\theta - c\sin\theta,\ r\sin\theta + c\cos\theta)`
    about the centre, a counter-clockwise turn of the picture. The shear slides each row
    sideways in proportion to its height. ``random_affine(X, 0, 0, 0, 0)`` returns an unchanged copy.

    Parameters
    ----------
    images : float ndarray, shape (N, H, W), (N, C, H, W) or flattened (N, H*W)
        Not modified.
    rotation, scale, shear, shift : float
        The ranges above; each ``>= 0``, ``scale < 1``, ``rotation <= 180``.
    rng : int or numpy.random.Generator, optional
        The same seed gives the same transforms.
    """
    _check_affine_ranges(rotation, scale, shear, shift)
    images = np.asarray(images)
    n = images.shape[0] if images.ndim else 0
    gen = make_rng(rng)
    theta = np.deg2rad(gen.uniform(-rotation, rotation, n))
    s = gen.uniform(1 - scale, 1 + scale, n)
    k = gen.uniform(-shear, shear, n)
    offsets = gen.uniform(-shift, shift, (n, 2))
    cos, sin = np.cos(theta), np.sin(theta)
    # counter-clockwise on the screen, in (row, col) with rows downwards
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    sh = np.zeros((n, 2, 2))
    sh[:, 0, 0] = sh[:, 1, 1] = 1.0
    sh[:, 1, 0] = k
    A = s[:, None, None] * rot @ sh
    return affine_images(images, A, offsets, image_shape=image_shape)


class RandomAffine:
    """An augmentation for :func:`fit`: ``RandomAffine(...)(X, rng)`` is
    ``random_affine(X, ..., rng=rng)``: small random rotations, zooms, shears and shifts."""

    def __init__(self, rotation: float = 10.0, scale: float = 0.1, shear: float = 0.0,
                 shift: float = 2.0, image_shape=None):
        _check_affine_ranges(rotation, scale, shear, shift)
        self.rotation, self.scale, self.shear, self.shift = rotation, scale, shear, shift
        self.image_shape = image_shape

    def __call__(self, X, rng):
        return random_affine(X, self.rotation, self.scale, self.shear, self.shift, rng,
                             image_shape=self.image_shape)

    def __repr__(self):
        return (f"RandomAffine(rotation={self.rotation}, scale={self.scale}, "
                f"shear={self.shear}, shift={self.shift})")


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


__all__ = ["shift_images", "random_shift", "RandomShift", "affine_images", "random_affine",
           "RandomAffine", "fit_augmented"]
