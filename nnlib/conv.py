r"""Convolutional layers on image batches: ``Conv2D``, ``MaxPool2D``, ``Flatten``, ``Reshape``.

Images are ``(N, C, H, W)`` arrays: batch, channels, height, width (the convention of
the notation page of the book, and of PyTorch).

A convolution is a matrix product in disguise. **im2col** copies every receptive field
(the :math:`C \times k_h \times k_w` input values one output pixel sees) into one column
of a matrix; the layer is then one matrix product for all output pixels of the batch:

.. math::
    \underbrace{Z_\text{mat}}_{C_\text{out} \times (H_o W_o N)}
    = \underbrace{W_\text{mat}}_{C_\text{out} \times (C k_h k_w)} \;
      \underbrace{\text{cols}}_{(C k_h k_w) \times (H_o W_o N)}
    + \mathbf b \mathbf 1^\top,

with :math:`W_\text{mat}` the kernel ``W`` of shape ``(C_out, C, kh, kw)`` reshaped to
``(C_out, C*kh*kw)``. The backward pass is that of a Dense layer, followed by **col2im**,
which adds every column of :math:`\partial L/\partial\,\text{cols}` back to the pixels it
was copied from (a pixel seen by several receptive fields receives the sum):

.. math::
    \frac{\partial L}{\partial W_\text{mat}} = G_\text{mat}\,\text{cols}^\top, \qquad
    \frac{\partial L}{\partial \mathbf b} = G_\text{mat} \mathbf 1, \qquad
    \frac{\partial L}{\partial X} = \operatorname{col2im}\big(W_\text{mat}^\top G_\text{mat}\big).

Output size along one axis, for input size :math:`H`, kernel :math:`k`, padding :math:`p`
and stride :math:`s`: :math:`H_o = \lfloor (H + 2p - k)/s \rfloor + 1`.

The CNNs of the course take flattened images ``(N, 784)``, like the MLPs, and start with
``Reshape((1, 28, 28))``: :func:`nnlib.training.fit` and :func:`nnlib.training.evaluate`
then work unchanged. Evaluate a CNN with a smaller ``batch_size`` (e.g. 1000) than the
default 4096: the im2col matrix of a batch is ``C k_h k_w`` times larger than the batch.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .core import Module, Parameter, Sequential
from .init import initialize
from .validation import (
    as_float_array,
    check_choice,
    check_number,
    check_positive_int,
    make_rng,
)

__all__ = ["Conv2D", "MaxPool2D", "Flatten", "Reshape", "build_cnn", "im2col", "col2im",
           "conv_output_size"]


# --------------------------------------------------------------------------- helpers
def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """``value`` as a pair of integers ``>= minimum``: ``3 -> (3, 3)``, ``(3, 5) -> (3, 5)``."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    ok = len(items) == 2 and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum
        for v in items)
    if not ok:
        kind = "a positive integer" if minimum >= 1 else "a non-negative integer"
        raise ValueError(f"{name} must be {kind} or a pair of them, got {value!r}")
    return int(items[0]), int(items[1])


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    r"""Output length along one axis: :math:`\lfloor (\text{size} + 2p - k)/s \rfloor + 1`."""
    size, kernel = check_positive_int(size, "size"), check_positive_int(kernel, "kernel")
    stride = check_positive_int(stride, "stride")
    padding = check_positive_int(padding, "padding", minimum=0)
    if kernel > size + 2 * padding:
        raise ValueError(f"kernel {kernel} is larger than the padded input {size + 2 * padding} "
                         f"(size {size}, padding {padding})")
    return (size + 2 * padding - kernel) // stride + 1


def _check_images(x, name: str, channels: int | None, layer: str) -> np.ndarray:
    x = as_float_array(x, name, ndim=4)
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels (axis 1 of (N, C, H, W)) for "
                         f"this {layer}, got shape {x.shape}")
    return x


def _pad_batch_last(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """``x`` zero-padded on its two spatial axes, as a ``(C, H+2ph, W+2pw, N)`` array.

    In this "batch-last" layout (that of cuda-convnet) the N images of a batch are
    interleaved: the same pixel of every image is one contiguous run of N numbers. Every
    slice that im2col, col2im and the pooling take is then made of long contiguous runs,
    which NumPy copies and adds several times faster than the short rows of ``(N, C, H, W)``.
    """
    n, c, h, w = x.shape
    xp = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    xp[:, ph:ph + h, pw:pw + w, :] = x.transpose(1, 2, 3, 0)
    return xp


def im2col(x, kernel_size, stride=1, padding=0) -> np.ndarray:
    r"""Every receptive field of ``x`` as one **column**: shape ``(C*kh*kw, H_o*W_o*N)``.

    Column ``(i*W_o + j)*N + n`` holds the ``C x kh x kw`` block of the zero-padded image
    ``n`` whose top-left corner is at ``(i*stride, j*stride)``, flattened in the order
    ``(c, u, v)``: the order of ``W.reshape(C_out, -1)``, so that the convolution is
    ``W.reshape(C_out, -1) @ im2col(x, ...)``, whose columns are the output pixels in the
    same ``(i, j, n)`` order.

    ``sliding_window_view`` gives a view of shape ``(C, H_o, W_o, N, kh, kw)`` of the
    padded batch without copying anything (overlapping windows share memory); the one
    copy happens in the final ``reshape``, which lays the windows out as columns.
    """
    x = as_float_array(x, "x", ndim=4)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    n, c, h, w = x.shape
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(f"the {kh}x{kw} kernel is larger than the padded input "
                         f"{h + 2 * ph}x{w + 2 * pw} (input {h}x{w}, padding {ph}x{pw})")
    xp = _pad_batch_last(x, ph, pw)                                   # (C, Hp, Wp, N)
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    ho, wo = win.shape[1], win.shape[2]
    # (C, Ho, Wo, N, kh, kw) -> (C, kh, kw, Ho, Wo, N) -> one column per receptive field
    return win.transpose(0, 4, 5, 1, 2, 3).reshape(c * kh * kw, ho * wo * n)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0) -> np.ndarray:
    r"""The adjoint of :func:`im2col`: add every column back to the pixels it came from.

    ``cols`` has shape ``(C*kh*kw, H_o*W_o*N)``; the result has shape ``x_shape`` =
    ``(N, C, H, W)``. Where receptive fields overlap (stride < kernel), a pixel receives
    the sum of the entries of every column that contains it; the zero padding is cut
    off. This is exactly the backward pass of ``im2col``:
    ``sum(im2col(x) * D) == sum(x * col2im(D, x.shape, ...))`` for every ``x`` and ``D``.

    The result is an ``(N, C, H, W)`` view of a batch-last array (see
    :func:`_pad_batch_last`); NumPy treats it like any other array.
    """
    n, c, h, w = (int(s) for s in x_shape)
    cols = np.asarray(cols)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    ho = conv_output_size(h, kh, sh, ph)
    wo = conv_output_size(w, kw, sw, pw)
    if cols.shape != (c * kh * kw, ho * wo * n):
        raise ValueError(f"cols must have shape {(c * kh * kw, ho * wo * n)} for images "
                         f"{(n, c, h, w)}, got {cols.shape}")
    blocks = cols.reshape(c, kh, kw, ho, wo, n)
    hp, wp = h + 2 * ph, w + 2 * pw   # the padded size
    dxp = np.zeros((c, hp, wp, n), dtype=cols.dtype)
    for u in range(kh):               # one (C, Ho, Wo, N) block per kernel offset (u, v)
        for v in range(kw):
            dxp[:, u:u + sh * ho:sh, v:v + sw * wo:sw] += blocks[:, u, v]
    return dxp[:, ph:hp - ph, pw:wp - pw].transpose(3, 0, 1, 2)    # the padding cut off


# --------------------------------------------------------------------------- Conv2D
class Conv2D(Module):
    r"""2-D convolution (cross-correlation, as in every deep-learning library).

    .. math::
        Z_{n,o,i,j} = b_o + \sum_{c=0}^{C-1}\sum_{u=0}^{k_h-1}\sum_{v=0}^{k_w-1}
        W_{o,c,u,v}\; \tilde X_{n,c,\,s i+u,\,s j+v},

    where :math:`\tilde X` is the input zero-padded by :math:`p` on every side and
    :math:`s` the stride. Computed as one matrix product with the im2col matrix:
    :math:`Z_\text{mat} = W_\text{mat}\,\text{cols} + \mathbf b \mathbf 1^\top`.

    Backward, given :math:`G = \partial L/\partial Z` of shape ``(N, C_out, H_o, W_o)``,
    reshaped to :math:`G_\text{mat}` of shape ``(C_out, H_o*W_o*N)``:

    .. math::
        \frac{\partial L}{\partial W_\text{mat}} = G_\text{mat}\,\text{cols}^\top, \qquad
        \frac{\partial L}{\partial \mathbf b} = G_\text{mat} \mathbf 1, \qquad
        \frac{\partial L}{\partial X} = \operatorname{col2im}\big(W_\text{mat}^\top G_\text{mat}\big).

    Parameters
    ----------
    in_channels, out_channels : int
        :math:`C` and :math:`C_\text{out}`.
    kernel_size : int or (int, int)
        :math:`(k_h, k_w)`.
    stride : int or (int, int)
        Step between receptive fields (default 1).
    padding : int or (int, int)
        Zeros added on each side of the height and width (default 0; ``k // 2`` keeps
        the size for an odd kernel and stride 1).
    init : {"he_normal", "he_uniform", "xavier_normal", "xavier_uniform"}
        With fan-in :math:`C k_h k_w` (and fan-out :math:`C_\text{out} k_h k_w` for Xavier).
        Biases start at zero.
    seed : int or numpy.random.Generator, optional
    dtype : numpy dtype
        ``np.float32`` (default) or ``np.float64`` (gradient checks).

    Attributes
    ----------
    W : Parameter, shape ``(C_out, C, kh, kw)``; named ``"W"``, so regularizers apply.
    b : Parameter, shape ``(C_out,)``.

    Notes
    -----
    The output is a ``(N, C_out, H_o, W_o)`` view of the ``(C_out, H_o*W_o*N)`` product,
    so its memory is "batch-last" ``(C_out, H_o, W_o, N)``. Element-wise layers keep that
    layout (NumPy's default ``order="K"``), and pooling and the next im2col read it in long
    contiguous runs; no code needs to know about it.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=0, init: str = "he_normal", seed=None, dtype=np.float32):
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.init = check_choice(init, "init", ("he_normal", "he_uniform", "xavier_normal",
                                                "xavier_uniform"))
        kh, kw = self.kernel_size
        # fan-in C kh kw (the inputs of one output), fan-out C_out kh kw
        w = initialize(init, self.in_channels * kh * kw, self.out_channels * kh * kw,
                       rng=make_rng(seed), dtype=dtype,
                       shape=(self.out_channels, self.in_channels, kh, kw))
        self.W = Parameter(w, "W")
        self.b = Parameter(np.zeros(self.out_channels, dtype=dtype), "b")
        self._cache = None

    def output_shape(self, input_shape) -> tuple[int, int, int]:
        """``(C_out, H_o, W_o)`` for an input of shape ``(C, H, W)`` (or ``(N, C, H, W)``)."""
        h, w = input_shape[-2:]
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (self.out_channels, conv_output_size(h, kh, sh, ph),
                conv_output_size(w, kw, sw, pw))

    def forward(self, x):
        x = _check_images(x, "x", self.in_channels, "Conv2D")
        n = x.shape[0]
        cols = im2col(x, self.kernel_size, self.stride, self.padding)  # (C*kh*kw, Ho*Wo*N)
        _, ho, wo = self.output_shape(x.shape)
        w_mat = self.W.value.reshape(self.out_channels, -1)            # (C_out, C*kh*kw)
        z = w_mat @ cols                                               # (C_out, Ho*Wo*N)
        z += self.b.value[:, None]
        self._cache = (x.shape, cols)
        # (C_out, Ho, Wo, N) -> (N, C_out, Ho, Wo): a transposed view, no copy
        return z.reshape(self.out_channels, ho, wo, n).transpose(3, 0, 1, 2)

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._cache is None:
            raise RuntimeError("Conv2D.backward called before forward")
        x_shape, cols = self._cache
        expected = (x_shape[0], *self.output_shape(x_shape))
        if grad_out.shape != expected:
            raise ValueError(f"grad_out must have shape {expected}, got {grad_out.shape}")
        c_out = self.out_channels
        # G_mat: one column per output pixel, as Z_mat (a view when G is batch-last,
        # which it is when it comes back through MaxPool2D or ReLU)
        g = grad_out.transpose(1, 2, 3, 0).reshape(c_out, -1)
        # dW_mat = G cols^T, computed as (cols G^T)^T: the same numbers, but OpenBLAS
        # handles this orientation of a long inner dimension much better (up to 30x
        # faster with two threads on a busy machine).
        self.W.grad[...] = (cols @ g.T).T.reshape(self.W.shape)         # G cols^T
        np.sum(g, axis=1, out=self.b.grad)                               # G 1
        if not need_input_grad:
            return None
        dcols = self.W.value.reshape(c_out, -1).T @ g                    # W^T G
        return col2im(dcols, x_shape, self.kernel_size, self.stride, self.padding)

    def __repr__(self):
        def short(p):
            return p[0] if p[0] == p[1] else p
        extra = ""
        if self.stride != (1, 1):
            extra += f", stride={short(self.stride)}"
        if self.padding != (0, 0):
            extra += f", padding={short(self.padding)}"
        return (f"Conv2D({self.in_channels}, {self.out_channels}, "
                f"kernel_size={short(self.kernel_size)}{extra})")


# --------------------------------------------------------------------------- MaxPool2D
class MaxPool2D(Module):
    r"""Max pooling: the largest value of every ``kh x kw`` window, per channel.

    .. math::
        Y_{n,c,i,j} = \max_{0 \le u < k_h,\ 0 \le v < k_w} X_{n,c,\,s i+u,\,s j+v}, \qquad
        \frac{\partial L}{\partial X_{n,c,\,si+u^*,\,sj+v^*}} \mathrel{+}= G_{n,c,i,j},

    where :math:`(u^*, v^*)` is the position of the window's maximum. Every other input
    gets no gradient from that window: the max is a switch that routes the gradient to
    the winner. When several entries tie for the maximum (e.g. a blank patch of the
    image), only the first of them (in row-major order) receives the gradient, which is a
    valid (sub)gradient; giving it to all of them would count it several times.

    Two paths compute the same numbers. The **reference path** (``_forward_reference``,
    ``_backward_reference``) reads like the equations: every window as a row of
    :math:`k_h k_w` values, ``argmax`` for the winner, ``np.add.at`` to route the gradient.
    The **fast path** (used by default; ``MaxPool2D.reference = True`` switches to the
    reference) avoids copying the windows; the tests compare the two.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window size (default 2).
    stride : int or (int, int), optional
        Default: the kernel size (non-overlapping windows, the fast path: reshapes and
        no copies of the input). Rows and columns that do not fill a whole window are
        dropped, as in PyTorch and Keras.
    """

    reference = False        # True: the readable path, for tests and for reading

    def __init__(self, kernel_size=2, stride=None):
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", 1)
        self._cache = None

    def output_shape(self, input_shape) -> tuple[int, int]:
        """``(H_o, W_o)`` for an input whose last two axes are ``(H, W)``."""
        h, w = input_shape[-2:]
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        return conv_output_size(h, kh, sh), conv_output_size(w, kw, sw)

    def forward(self, x):
        x = _check_images(x, "x", None, "MaxPool2D")
        (kh, kw), (h, w) = self.kernel_size, x.shape[2:]
        if kh > h or kw > w:
            raise ValueError(f"the {kh}x{kw} pooling window is larger than the input "
                             f"{h}x{w}")
        if kh * kw > 256:
            raise ValueError(f"pooling windows of more than 256 entries are not supported, "
                             f"got {kh}x{kw}")
        forward = self._forward_reference if self.reference else self._forward_fast
        out, self._cache = forward(x)
        return out

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._cache is None:
            raise RuntimeError("MaxPool2D.backward called before forward")
        if not need_input_grad:
            return None
        if grad_out.shape != self._cache[1].shape:
            raise ValueError(f"grad_out must have shape {self._cache[1].shape}, "
                             f"got {grad_out.shape}")
        backward = self._backward_reference if self.reference else self._backward_fast
        return backward(grad_out, *self._cache)

    # ----------------------------------------------------------- the reference path
    def _forward_reference(self, x):
        """Every window as a row of ``kh*kw`` values: its max, and the offset of its winner."""
        n, c = x.shape[:2]
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        ho, wo = self.output_shape(x.shape)
        windows = sliding_window_view(x, (kh, kw), axis=(2, 3))   # (N, C, H-kh+1, W-kw+1, kh, kw)
        windows = windows[:, :, ::sh, ::sw][:, :, :ho, :wo].reshape(n, c, ho, wo, kh * kw)
        winner = windows.argmax(axis=-1)            # (N, C, Ho, Wo): the first maximum
        out = np.take_along_axis(windows, winner[..., None], axis=-1)[..., 0]
        return out, (x, out, winner)

    def _backward_reference(self, grad_out, x, out, winner):
        """``dX``: each window's gradient goes to its winner, summed where windows overlap."""
        kw, (sh, sw) = self.kernel_size[1], self.stride
        n, c, ho, wo = out.shape
        u, v = np.divmod(winner, kw)                # the winner's row and column in its window
        rows = np.arange(ho)[:, None] * sh + u      # (N, C, Ho, Wo): the winner's pixel
        cols = np.arange(wo)[None, :] * sw + v
        batch = np.arange(n)[:, None, None, None]
        channel = np.arange(c)[None, :, None, None]
        dx = np.zeros(x.shape, dtype=grad_out.dtype)
        np.add.at(dx, (batch, channel, rows, cols), grad_out)     # += : a pixel may win twice
        return dx

    # ----------------------------------------------------------- the fast path
    # The same results without copying the windows (tested against the reference path in
    # tests/test_conv.py). Non-overlapping windows (stride == kernel, the usual 2x2) are a
    # reshape of x; overlapping ones are one strided view of x per offset (u, v).
    def _forward_fast(self, x):
        n, c = x.shape[:2]
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        ho, wo = self.output_shape(x.shape)
        if self.stride == self.kernel_size:
            # (N, C, Ho, kh, Wo, kw): a view. The max over the kh rows of every window, then
            # over its kw columns: kh + kw - 2 element-wise maxima, no copy of x. The winners
            # are found in backward.
            x6 = x[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw)
            rows = x6[:, :, :, 0]
            for u in range(1, kh):
                rows = np.maximum(rows, x6[:, :, :, u])
            out = rows[..., 0]
            for v in range(1, kw):
                out = np.maximum(out, rows[..., v])
            arg = None
        else:
            # the winner's offset is kept, since a pixel can win in several windows
            out, arg = _running_max([x[:, :, u:u + sh * ho:sh, v:v + sw * wo:sw]
                                     for u in range(kh) for v in range(kw)])
        if not out.flags.owndata:        # a 1x1 window: a view of x, copy it
            out = out.copy()
        return out, (x, out, arg)

    def _backward_fast(self, grad_out, x, out, arg):
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        ho, wo = out.shape[2:]
        # The gradient has the memory layout of the input (batch-last after a Conv2D),
        # so that the convolution's backward pass reshapes it without a copy.
        dx = np.empty_like(x, dtype=grad_out.dtype)
        if arg is not None:
            dx[...] = 0
            for u in range(kh):
                for v in range(kw):          # a pixel in several windows: add up
                    dx[:, :, u:u + sh * ho:sh, v:v + sw * wo:sw] += grad_out * (arg == u * kw + v)
            return dx
        # Non-overlapping: each covered pixel is in exactly one window, so write, no
        # accumulation. The winner is the first offset (row-major) where x equals the max.
        dx[:, :, ho * kh:] = 0                       # rows and columns left out
        dx[:, :, :, wo * kw:] = 0
        offsets = [(u, v) for u in range(kh) for v in range(kw)]

        def at(u, v):                                # offset (u, v) of every window
            return (slice(None), slice(None), slice(u, u + kh * ho, kh),
                    slice(v, v + kw * wo, kw))

        undecided = None                             # windows without a winner yet
        for u, v in offsets[:-1]:
            wins = x[at(u, v)] == out
            if undecided is not None:
                wins &= undecided
            np.multiply(grad_out, wins, out=dx[at(u, v)])
            undecided = ~wins if undecided is None else undecided & ~wins
        # The last offset wins every window still undecided: no comparison needed.
        np.multiply(grad_out, True if undecided is None else undecided, out=dx[at(*offsets[-1])])
        return dx

    def __repr__(self):
        k, s = self.kernel_size, self.stride
        ks = k[0] if k[0] == k[1] else k
        return f"MaxPool2D({ks})" if k == s else f"MaxPool2D({ks}, stride={s})"


def _running_max(views):
    """Element-wise max of a sequence of equal-shape arrays and the index of the winner.

    Strict ``>``: on a tie the earlier array keeps the win. (Only arithmetic on whole
    arrays: ``np.where`` and boolean indexing are several times slower here.)
    """
    out, arg = None, None
    for k, view in enumerate(views):
        if out is None:
            out, arg = view, np.zeros(view.shape, dtype=np.uint8)
            continue
        better = view > out
        out = np.maximum(out, view)
        # k grows with every view, so the newest winner has the largest index:
        # a maximum writes k exactly where `better` holds.
        arg = np.maximum(arg, better * np.uint8(k))
    return out, arg


# --------------------------------------------------------------------------- reshaping
def _as_batch(x) -> np.ndarray:
    """``x`` as a float array of samples ``(N, ...)``: at least 2 dimensions."""
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must be a batch (N, ...) with at least 2 dimensions, "
                         f"got shape {x.shape}")
    return x


class Reshape(Module):
    r"""Reshape every sample: ``(N, *in) -> (N, *shape)``; backward reshapes back.

    ``Reshape((1, 28, 28))`` turns rows of 784 pixels into one-channel images, so a CNN
    takes the same ``(N, 784)`` input as an MLP (and :func:`nnlib.training.fit` works
    unchanged). A reshape moves no numbers: its gradient is the incoming gradient,
    reshaped.
    """

    def __init__(self, shape):
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        for s in shape:
            check_positive_int(s, "shape entries")
        self.shape = shape
        self._in_shape = None

    def forward(self, x):
        x = _as_batch(x)
        size = int(np.prod(self.shape))
        if int(np.prod(x.shape[1:])) != size:
            raise ValueError(f"cannot reshape samples of shape {x.shape[1:]} "
                             f"({int(np.prod(x.shape[1:]))} values) to {self.shape} "
                             f"({size} values)")
        self._in_shape = x.shape
        return x.reshape(x.shape[0], *self.shape)

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._in_shape is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        if not need_input_grad:
            return None
        grad_out = np.asarray(grad_out)
        expected = (self._in_shape[0], *self.shape)
        if grad_out.shape != expected:
            raise ValueError(f"grad_out must have shape {expected}, got {grad_out.shape}")
        return grad_out.reshape(self._in_shape)

    def __repr__(self):
        return f"Reshape({self.shape})"


class Flatten(Module):
    """``(N, C, H, W) -> (N, C*H*W)``: the bridge from convolutional to Dense layers.

    The order is C order (channel, then row, then column), the order of ``x.reshape(N, -1)``.
    Backward reshapes the gradient back to ``(N, C, H, W)``.
    """

    def __init__(self):
        self._x = None

    def forward(self, x):
        x = _as_batch(x)
        self._x = x
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out, need_input_grad: bool = True):
        if self._x is None:
            raise RuntimeError("Flatten.backward called before forward")
        if not need_input_grad:
            return None
        expected = (self._x.shape[0], int(np.prod(self._x.shape[1:])))
        if grad_out.shape != expected:
            raise ValueError(f"grad_out must have shape {expected}, got {grad_out.shape}")
        # The values of grad_out.reshape(x.shape), in the memory layout of x (batch-last
        # after a Conv2D, see its notes), so that the pooling and convolution before read
        # it in long runs: a plain reshape makes the chapter's CNN a third slower.
        dx = np.empty_like(self._x, dtype=grad_out.dtype)
        dx[...] = grad_out.reshape(self._x.shape)
        return dx

    def __repr__(self):
        return "Flatten()"


# --------------------------------------------------------------------------- a small CNN
def build_cnn(input_shape=(1, 28, 28), channels=(16, 32), n_out: int = 10,
              hidden: int = 128, kernel_size: int = 3, dropout: float = 0.0, seed=None,
              dtype=np.float32) -> Sequential:
    """``Reshape -> [Conv2D -> MaxPool2D -> ReLU] per entry of channels -> Flatten -> Dense``.

    Each convolution keeps the size (``padding = kernel_size // 2``) and each 2x2 pooling
    halves it, so 28x28 images with two blocks end as ``channels[-1]`` maps of 7x7. Then
    ``Dense(hidden) -> ReLU [-> Dropout] -> Dense(n_out)`` gives the logits. The model
    takes flattened images ``(N, C*H*W)``, like :func:`nnlib.mlp.build_mlp`.

    Pooling comes before the ReLU: both are monotone, so ``max(relu(x)) = relu(max(x))``
    and the result is the same, but the ReLU then touches four times fewer numbers.

    ``dropout > 0`` adds a :class:`~nnlib.layers.Dropout` after the hidden layer. (For
    data augmentation, train with :func:`nnlib.augmentation.fit_augmented`.)

    Example: ``build_cnn(channels=(32, 64), hidden=128)`` is
    conv 3x3 32 - pool - conv 3x3 64 - pool - dense 128 - dense 10.
    """
    from .activations import ReLU
    from .layers import Dense, Dropout

    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a tuple (channels, height, width), got "
                        f"{input_shape!r}")
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (channels, height, width), got {input_shape!r}")
    c, h, w = (check_positive_int(s, "input_shape entries") for s in input_shape)
    if not isinstance(channels, (tuple, list)):
        raise TypeError(f"channels must be a sequence of int (one per conv block), got "
                        f"{channels!r}")
    channels = [check_positive_int(ch, "channels[i]") for ch in channels]
    hidden = check_positive_int(hidden, "hidden")
    n_out = check_positive_int(n_out, "n_out")
    k = check_positive_int(kernel_size, "kernel_size")
    dropout = check_number(dropout, "dropout", 0.0, 1.0, high_inclusive=False)
    rng = make_rng(seed)
    layers: list[Module] = [Reshape((c, h, w))]
    for ch in channels:
        if h < 2 or w < 2:
            raise ValueError(f"{len(channels)} pooling blocks shrink {input_shape[1:]} "
                             "below 2x2; use fewer channels entries")
        layers += [Conv2D(c, ch, k, padding=k // 2, seed=rng, dtype=dtype), MaxPool2D(2),
                   ReLU()]
        c, h, w = ch, h // 2, w // 2
    layers += [Flatten(), Dense(c * h * w, hidden, seed=rng, dtype=dtype), ReLU()]
    if dropout > 0:
        layers.append(Dropout(dropout, seed=rng))
    layers.append(Dense(hidden, n_out, init="xavier_normal", seed=rng, dtype=dtype))
    return Sequential(layers)
