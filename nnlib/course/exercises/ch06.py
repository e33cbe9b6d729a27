r"""Exercises of chapter 6, convolutional networks.

=================================  ============================================================
name                               the learner writes
=================================  ============================================================
``ch06.conv2d_input_grad``         :math:`\partial L/\partial X_{n,c,i+u,j+v} \mathrel{+}= \sum_o G W_{o,c,u,v}`
``ch06.conv2d_weight_grad``        :math:`\partial L/\partial W_{o,c,u,v} = \sum_{n,i,j} G_{n,o,i,j}\, X_{n,c,i+u,j+v}`
``ch06.maxpool_backward``          route each gradient of a 2x2 max pooling to its window's maximum
``ch06.receptive_field``           *investigate*: the input patch one unit of a stack of layers sees
=================================  ============================================================

Each reference comes from :mod:`nnlib.conv` (the receptive field's from the recursion
:math:`r \leftarrow r + (k - 1)\,j,\ j \leftarrow j s` over the layers); each solution is the code of the notebook's
solution cell; each mistake is one that learners really make.
"""

from __future__ import annotations

import numpy as np

from ._core import register

# --------------------------------------------------------------------------- input gradient
conv_xgrad_ex = register(
    "ch06.conv2d_input_grad", title="the gradient of a convolution with respect to its input",
    instructions="for a convolution with stride 1 and no padding, given its kernel W "
                 "(C_out, C, kh, kw) and G = dL/dZ (N, C_out, H_o, W_o), return dL/dx "
                 "(N, C, H_o + kh - 1, W_o + kw - 1): every G[n, o, i, j] * W[o, c, u, v] "
                 "is added to dx[n, c, i + u, j + v]",
    hint="x[n, c, i + u, j + v] was multiplied by W[o, c, u, v] in output Z[n, o, i, j] for "
         "every o, i, j (with u, v the offset inside the window), so its gradient is the sum "
         "of G[n, o, i, j] * W[o, c, u, v] over all of them: windows overlap, so add (+=), "
         "never overwrite")


@conv_xgrad_ex.inputs
def _conv_xgrad_inputs(rng):
    cases = []
    for n, c, c_out, k, ho, wo in [(2, 1, 3, 3, 3, 3), (3, 2, 4, 2, 4, 5), (2, 3, 2, 3, 5, 4)]:
        cases.append((rng.standard_normal((c_out, c, k, k)),
                      rng.standard_normal((n, c_out, ho, wo))))
    return cases


@conv_xgrad_ex.reference
def _conv_xgrad_reference(W, G):
    from nnlib.conv import Conv2D
    c_out, c, kh, kw = W.shape
    n, _, ho, wo = G.shape
    layer = Conv2D(c, c_out, (kh, kw), dtype=np.float64)
    layer.W.value[...] = W
    layer.forward(np.zeros((n, c, ho + kh - 1, wo + kw - 1)))
    return np.ascontiguousarray(layer.backward(np.asarray(G, dtype=np.float64)))


@conv_xgrad_ex.solution
def conv2d_input_grad(W, G):
    C_out, C, kh, kw = W.shape
    N, _, H_o, W_o = G.shape
    dx = np.zeros((N, C, H_o + kh - 1, W_o + kw - 1))
    for u in range(kh):
        for v in range(kw):
            # sum over o of G[n, o, i, j] * W[o, c, u, v] -> (N, H_o, W_o, C)
            contribution = np.tensordot(G, W[:, :, u, v], axes=([1], [0]))
            dx[:, :, u:u + H_o, v:v + W_o] += contribution.transpose(0, 3, 1, 2)
    return dx


@conv_xgrad_ex.mistake("neighbouring windows overlap, so a pixel collects gradient from "
                       "several of them: add with +=, do not overwrite with =")
def _conv_xgrad_overwrite(W, G):
    C_out, C, kh, kw = W.shape
    N, _, H_o, W_o = G.shape
    dx = np.zeros((N, C, H_o + kh - 1, W_o + kw - 1))
    for u in range(kh):
        for v in range(kw):
            contribution = np.tensordot(G, W[:, :, u, v], axes=([1], [0]))
            dx[:, :, u:u + H_o, v:v + W_o] = contribution.transpose(0, 3, 1, 2)
    return dx


@conv_xgrad_ex.mistake("every output channel o used the input pixel, so sum the "
                       "contributions over all C_out output channels, not just the first")
def _conv_xgrad_one_channel(W, G):
    return conv2d_input_grad(W[:1], G[:, :1])


# --------------------------------------------------------------------------- weight gradient
conv_wgrad_ex = register(
    "ch06.conv2d_weight_grad", title="the gradient of a convolution's kernel",
    instructions="for a convolution with stride 1 and no padding, given its input x "
                 "(N, C, H, W) and G = dL/dZ (N, C_out, H_o, W_o), return dL/dW "
                 "(C_out, C, kh, kw) with dW[o, c, u, v] = sum over n, i, j of "
                 "G[n, o, i, j] * x[n, c, i + u, j + v], where kh = H - H_o + 1",
    hint="a weight is used at every output position of every image, so its gradient sums "
         "the products G * (the input value it multiplied) over n, i and j; dW has the "
         "shape of W, (C_out, C, kh, kw)")


@conv_wgrad_ex.inputs
def _conv_wgrad_inputs(rng):
    cases = []
    for n, c, h, w, c_out, k in [(2, 1, 5, 5, 3, 3), (3, 2, 6, 5, 2, 2), (2, 3, 7, 6, 4, 3)]:
        ho, wo = h - k + 1, w - k + 1
        cases.append((rng.standard_normal((n, c, h, w)),
                      rng.standard_normal((n, c_out, ho, wo))))
    return cases


@conv_wgrad_ex.reference
def _conv_wgrad_reference(x, G):
    from nnlib.conv import Conv2D
    kh = x.shape[2] - G.shape[2] + 1
    kw = x.shape[3] - G.shape[3] + 1
    layer = Conv2D(x.shape[1], G.shape[1], (kh, kw), dtype=np.float64)
    layer.forward(np.asarray(x, dtype=np.float64))
    layer.backward(np.asarray(G, dtype=np.float64), need_input_grad=False)
    return layer.W.grad.copy()


@conv_wgrad_ex.solution
def conv2d_weight_grad(x, G):
    N, C, H, W = x.shape
    _, C_out, H_o, W_o = G.shape
    kh, kw = H - H_o + 1, W - W_o + 1
    dW = np.zeros((C_out, C, kh, kw))
    for u in range(kh):
        for v in range(kw):
            patch = x[:, :, u:u + H_o, v:v + W_o]        # what W[:, :, u, v] multiplied
            # sum over n, i, j of G[n, o, i, j] * patch[n, c, i, j] -> (C_out, C)
            dW[:, :, u, v] = np.tensordot(G, patch, axes=([0, 2, 3], [0, 2, 3]))
    return dW


@conv_wgrad_ex.mistake("sum over the whole batch, not only the first image: every image "
                       "of the mini-batch contributes to the gradient")
def _conv_wgrad_first_image(x, G):
    return conv2d_weight_grad(x[:1], G[:1])


@conv_wgrad_ex.mistake("u runs along the height and v along the width: W[o, c, u, v] "
                       "multiplied x[n, c, i + u, j + v], so the kernel offsets are swapped "
                       "(a transposed kernel)")
def _conv_wgrad_swapped_offsets(x, G):
    return conv2d_weight_grad(x, G).transpose(0, 1, 3, 2)


# --------------------------------------------------------------------------- max pooling
pool_backward_ex = register(
    "ch06.maxpool_backward", title="the backward pass of 2x2 max pooling",
    instructions="given the input x (N, C, H, W) of a 2x2 max pooling with stride 2 (H and "
                 "W even, all values distinct) and grad_out = dL/dY (N, C, H/2, W/2), return "
                 "dL/dx: each grad_out[n, c, i, j] goes to the position of the maximum of "
                 "its window x[n, c, 2i:2i+2, 2j:2j+2], every other entry gets 0",
    hint="the maximum is a switch: only the winner of each window influenced the output. "
         "Compare each of the 4 entries of a window with the window's max to find it")


@pool_backward_ex.inputs
def _pool_backward_inputs(rng):
    cases = []
    for shape in [(1, 1, 4, 4), (2, 3, 6, 4), (3, 2, 8, 8)]:
        size = int(np.prod(shape))
        x = (rng.permutation(size) / size - 0.5).reshape(shape)      # distinct values
        out_shape = (*shape[:2], shape[2] // 2, shape[3] // 2)
        cases.append((x, rng.standard_normal(out_shape)))
    return cases


@pool_backward_ex.reference
def _pool_backward_reference(x, grad_out):
    from nnlib.conv import MaxPool2D
    pool = MaxPool2D(2)
    pool.forward(np.asarray(x, dtype=np.float64))
    return np.ascontiguousarray(pool.backward(np.asarray(grad_out, dtype=np.float64)))


@pool_backward_ex.solution
def maxpool_backward(x, grad_out):
    N, C, H, W = x.shape
    windows = x.reshape(N, C, H // 2, 2, W // 2, 2)              # (.., i, u, j, v)
    y = windows.max(axis=(3, 5), keepdims=True)                  # the max of each window
    mask = windows == y                                          # the winner (values distinct)
    dx = mask * grad_out[:, :, :, None, :, None]                 # route the gradient there
    return dx.reshape(N, C, H, W)


@pool_backward_ex.mistake("that is the backward pass of average pooling (grad_out / 4 on "
                          "every entry); max pooling sends the whole gradient to the maximum "
                          "only")
def _pool_backward_average(x, grad_out):
    return np.repeat(np.repeat(grad_out, 2, axis=2), 2, axis=3) / 4


@pool_backward_ex.mistake("every entry of the window received the gradient: only the "
                          "maximum did influence the output, mask the others out")
def _pool_backward_everywhere(x, grad_out):
    return np.repeat(np.repeat(grad_out, 2, axis=2), 2, axis=3)


# --------------------------------------------------------------------------- receptive field
field_ex = register(
    "ch06.receptive_field", title="the receptive field of a stack of layers",
    instructions="layers is a list of (kernel, stride) pairs, first layer first: square "
                 "convolutions and poolings (any padding, no dilation). Return the side, in "
                 "input pixels, of the square patch of the input that one unit of the last "
                 "layer's output depends on",
    hint="find it for one layer, then for two (a unit of layer 2 sees k2 neighbouring units "
         "of layer 1, which are s1 pixels apart); or measure it: backpropagate a gradient "
         "that is 1 at one output unit through nnlib layers and see which input pixels get "
         "a nonzero gradient",
    rtol=0.0, atol=0.0)


@field_ex.inputs
def _field_inputs(rng):
    cases = [[(3, 1)], [(3, 1), (3, 1)], [(3, 1), (2, 2), (3, 1), (2, 2)],   # the CNN
             [(3, 2), (3, 2), (3, 2)], [(7, 2), (3, 2), (3, 1), (3, 1)]]
    for n in (3, 5):
        cases.append([(int(rng.integers(1, 6)), int(rng.integers(1, 4))) for _ in range(n)])
    return [(c,) for c in cases]


@field_ex.reference
def _field_reference(layers):
    field, jump = 1, 1                  # jump: input pixels between neighbouring units
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


@field_ex.solution
def receptive_field(layers):
    first, last = 0, 0                  # one unit of the last layer's output
    for kernel, stride in reversed(layers):
        # units first..last of a layer's output read its inputs first*s .. last*s + k - 1
        first, last = first * stride, last * stride + kernel - 1
    return last - first + 1


@field_ex.mistake("the strides matter: after a layer of stride s, neighbouring units are s "
                  "pixels apart, so the next layer's kernel spans (k - 1) * s more pixels")
def _field_no_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


@field_ex.mistake("adding the kernel sizes counts the centre pixel of every layer again: "
                  "each layer adds k - 1 (times the spacing of its inputs), not k")
def _field_sum_kernels(layers):
    return sum(k for k, _ in layers)


@field_ex.mistake("a layer's own stride does not widen what it sees: only the strides of "
                  "the layers BEFORE it space its inputs apart")
def _field_own_stride(layers):
    field, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride
        field += (kernel - 1) * jump
    return field


@field_ex.mistake("the fields do not multiply: each layer adds to the width, r + (k - 1) * j")
def _field_product(layers):
    return int(np.prod([k for k, _ in layers]))
