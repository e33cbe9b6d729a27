"""Convolutional layers: float64 gradient checks, agreement with naive loops, clear errors."""

import numpy as np
import pytest

from nnlib import L2, Sequential, SoftmaxCrossEntropy, check_module, fit
from nnlib.conv import (
    Conv2D,
    Flatten,
    MaxPool2D,
    Reshape,
    build_cnn,
    col2im,
    conv_output_size,
    im2col,
)

TOL = 1e-7


# --------------------------------------------------------------------------- naive references
def conv2d_loops(x, W, b, stride=1, padding=0):
    """The definition, one output number at a time (float64)."""
    n, c, h, w = x.shape
    c_out, _, kh, kw = W.shape
    s, p = stride, padding
    xp = np.zeros((n, c, h + 2 * p, w + 2 * p))
    xp[:, :, p:p + h, p:p + w] = x
    ho, wo = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
    out = np.zeros((n, c_out, ho, wo))
    for i in range(n):
        for o in range(c_out):
            for r in range(ho):
                for q in range(wo):
                    patch = xp[i, :, r * s:r * s + kh, q * s:q * s + kw]
                    out[i, o, r, q] = np.sum(patch * W[o]) + b[o]
    return out


def maxpool_loops(x, k, s):
    n, c, h, w = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, c, ho, wo))
    for r in range(ho):
        for q in range(wo):
            out[:, :, r, q] = x[:, :, r * s:r * s + k, q * s:q * s + k].max(axis=(2, 3))
    return out


def distinct(shape, seed=0):
    """Values that are all different and at least 0.01 apart: no ties inside eps."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.01 - size * 0.005).reshape(shape)


def conv64(c_in, c_out, k, stride=1, padding=0, seed=0):
    layer = Conv2D(c_in, c_out, k, stride=stride, padding=padding, seed=seed,
                   dtype=np.float64)
    layer.b.value[:] = np.random.default_rng(seed + 100).standard_normal(c_out)
    return layer


# --------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", [0, 1])
def test_conv2d_gradients(stride, padding):
    layer = conv64(3, 4, 3, stride=stride, padding=padding)
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    result = check_module(layer, x)
    assert result.passed, result
    assert set(result.errors) == {"input", "W", "b"}
    assert result.max_error < TOL


def test_conv2d_gradients_rectangular_kernel_and_stride():
    layer = Conv2D(2, 3, (2, 3), stride=(2, 1), padding=(1, 0), init="xavier_uniform",
                   seed=3, dtype=np.float64)
    result = check_module(layer, np.random.default_rng(2).standard_normal((3, 2, 5, 6)))
    assert result.passed, result


@pytest.mark.parametrize("k,stride,shape", [
    (2, None, (2, 3, 6, 8)),        # the usual 2x2, stride 2
    (2, None, (2, 2, 7, 5)),        # odd sizes: the last row/column is dropped
    (3, 2, (2, 2, 7, 7)),           # overlapping windows
    (2, 1, (1, 2, 5, 4)),           # overlapping, stride 1
    ((1, 3), None, (2, 1, 4, 6)),   # rectangular window
])
def test_maxpool_gradients(k, stride, shape):
    result = check_module(MaxPool2D(k, stride=stride), distinct(shape))
    assert result.passed, result


@pytest.mark.parametrize("module,shape", [
    (Flatten(), (3, 2, 4, 5)),
    (Reshape((2, 3, 4)), (5, 24)),
    (Reshape(6), (2, 2, 3)),
])
def test_reshape_gradients(module, shape):
    result = check_module(module, np.random.default_rng(0).standard_normal(shape))
    assert result.passed, result


def test_small_cnn_gradients_end_to_end():
    model = build_cnn(input_shape=(2, 8, 8), channels=(3, 4), hidden=5, n_out=3, seed=0,
                      dtype=np.float64)
    for layer in model.layers:            # non-zero biases, so that they are checked too
        if isinstance(layer, Conv2D):
            layer.b.value[:] = 0.1 * np.arange(1, layer.out_channels + 1)
    x = np.random.default_rng(4).standard_normal((3, 2 * 8 * 8))
    result = check_module(model, x)
    assert result.passed, result
    assert len(result.errors) == 1 + 8        # input + W and b of 2 Conv2D and 2 Dense


# --------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("k,stride,padding,shape", [
    (3, 1, 0, (2, 3, 7, 6)), (3, 1, 1, (2, 3, 7, 6)), (3, 2, 0, (2, 3, 7, 6)),
    (3, 2, 1, (2, 3, 8, 8)), (5, 1, 2, (1, 2, 9, 9)), (1, 1, 0, (2, 4, 3, 3)),
    (2, 3, 1, (3, 1, 10, 7)),
])
def test_im2col_conv_agrees_with_loops(k, stride, padding, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    layer = conv64(shape[1], 5, k, stride=stride, padding=padding)
    expected = conv2d_loops(x, layer.W.value, layer.b.value, stride, padding)
    out = layer.forward(x)
    assert out.shape == expected.shape == (shape[0], *layer.output_shape(shape))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_float32_conv_agrees_with_float64_loops():
    x = np.random.default_rng(0).standard_normal((4, 3, 12, 12)).astype(np.float32)
    layer = Conv2D(3, 8, 3, padding=1, seed=1)
    out = layer.forward(x)
    assert out.dtype == np.float32 and layer.W.value.dtype == np.float32
    expected = conv2d_loops(x.astype(np.float64), layer.W.value.astype(np.float64),
                            layer.b.value.astype(np.float64), 1, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k,stride,padding", [(3, 1, 1), (3, 2, 0), (2, 1, 0), (4, 3, 2)])
def test_col2im_is_the_adjoint_of_im2col(k, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 8))
    cols = im2col(x, k, stride, padding)
    D = rng.standard_normal(cols.shape)
    # <im2col(x), D> == <x, col2im(D)>: col2im is the transpose of the linear map im2col
    assert np.isclose(np.sum(cols * D), np.sum(x * col2im(D, x.shape, k, stride, padding)))


def test_im2col_columns_are_receptive_fields():
    x = np.arange(2 * 1 * 4 * 4, dtype=float).reshape(2, 1, 4, 4)
    cols = im2col(x, 2, stride=2)
    assert cols.shape == (4, 2 * 2 * 2)       # (C*kh*kw, Ho*Wo*N), column (i*Wo + j)*N + n
    np.testing.assert_array_equal(cols[:, 0], [0, 1, 4, 5])          # image 0, (0, 0)
    np.testing.assert_array_equal(cols[:, 1], [16, 17, 20, 21])      # image 1, (0, 0)
    np.testing.assert_array_equal(cols[:, 2], [2, 3, 6, 7])          # image 0, (0, 1)


@pytest.mark.parametrize("k,stride", [(2, None), (3, 2), (2, 1), (3, 3)])
def test_maxpool_agrees_with_loops(k, stride):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    pool = MaxPool2D(k, stride=stride)
    np.testing.assert_array_equal(pool.forward(x), maxpool_loops(x, k, stride or k))


@pytest.mark.parametrize("stride", [None, 1])
def test_maxpool_ties_route_the_gradient_once(stride):
    x = np.zeros((2, 3, 4, 4))               # a blank patch: every entry ties
    pool = MaxPool2D(2, stride=stride)
    pool.forward(x)
    g = np.random.default_rng(0).standard_normal((2, 3, *pool.output_shape(x.shape)))
    dx = pool.backward(g)
    assert np.isclose(dx.sum(), g.sum())       # counted once, not four times
    if stride is None:                         # the first entry of each window wins
        np.testing.assert_array_equal(dx[:, :, ::2, ::2], g)
        assert np.count_nonzero(dx) == np.count_nonzero(g)


def test_maxpool_on_channel_first_and_batch_last_layouts():
    x = distinct((3, 4, 6, 6))
    batch_last = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    g = np.random.default_rng(1).standard_normal((3, 4, 3, 3))
    a, b = MaxPool2D(2), MaxPool2D(2)
    np.testing.assert_array_equal(a.forward(x), b.forward(batch_last))
    np.testing.assert_array_equal(a.backward(g), b.backward(g))


def test_conv_output_size_and_shapes():
    assert conv_output_size(28, 3, 1, 1) == 28
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(7, 3, 2, 1) == 4
    layer = Conv2D(1, 8, 5, stride=2, padding=2)
    assert layer.output_shape((1, 28, 28)) == (8, 14, 14)
    assert layer.forward(np.zeros((3, 1, 28, 28), np.float32)).shape == (3, 8, 14, 14)
    assert MaxPool2D(2).forward(np.zeros((1, 2, 7, 9))).shape == (1, 2, 3, 4)


# --------------------------------------------------------------------------- conventions
def test_backward_overwrites_gradients_and_can_skip_the_input():
    layer = conv64(2, 3, 3, padding=1)
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    g = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
    layer.forward(x)
    dx = layer.backward(g)
    first = layer.W.grad.copy(), layer.b.grad.copy()
    layer.forward(x)
    assert layer.backward(g, need_input_grad=False) is None     # no col2im
    np.testing.assert_allclose(layer.W.grad, first[0])          # overwritten, not summed
    np.testing.assert_allclose(layer.b.grad, first[1])
    assert dx.shape == x.shape


def test_parameters_names_init_and_dtype():
    layer = Conv2D(3, 16, 3, seed=0)
    assert [name for name, _ in layer.named_parameters()] == ["W", "b"]
    assert layer.W.is_weight and not layer.b.is_weight          # regularizers see W
    assert layer.W.shape == (16, 3, 3, 3) and layer.b.shape == (16,)
    assert layer.W.dtype == np.float32
    assert layer.n_parameters() == 16 * 3 * 9 + 16
    big = Conv2D(64, 64, 3, seed=0)          # He: std sqrt(2 / fan_in), fan_in = C kh kw
    assert abs(big.W.value.std() - np.sqrt(2 / (64 * 9))) < 0.01 * np.sqrt(2 / (64 * 9)) * 5
    np.testing.assert_array_equal(Conv2D(3, 4, 3, seed=7).W.value, Conv2D(3, 4, 3, seed=7).W.value)
    assert Conv2D(3, 4, 3, seed=0).astype(np.float64).W.dtype == np.float64
    reg = L2(0.1)
    assert np.isclose(reg.penalty(layer.parameters()), 0.05 * np.sum(layer.W.value ** 2),
                      rtol=1e-5)


def test_build_cnn_shapes_and_parameter_count():
    model = build_cnn(channels=(16, 32), hidden=128, seed=0)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Reshape", "Conv2D", "MaxPool2D", "ReLU", "Conv2D", "MaxPool2D", "ReLU",
                     "Flatten", "Dense", "ReLU", "Dense"]
    expected = (16 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 7 * 7 * 128 + 128) + (128 * 10 + 10)
    assert model.n_parameters() == expected
    out = model.forward(np.zeros((3, 784), np.float32))
    assert out.shape == (3, 10) and out.dtype == np.float32
    with_dropout = build_cnn(channels=(4,), hidden=8, dropout=0.5, seed=0)
    assert [type(layer).__name__ for layer in with_dropout.layers][-2] == "Dropout"
    with pytest.raises(ValueError, match="dropout"):
        build_cnn(dropout=1.0)
    with pytest.raises(ValueError, match="below 2x2"):
        build_cnn(input_shape=(1, 4, 4), channels=(2, 2, 2))


def test_a_small_cnn_learns_bars():
    """Vertical versus horizontal bars at random places: trivial for a CNN."""
    rng = np.random.default_rng(0)
    n = 200
    X = np.zeros((n, 1, 8, 8), np.float32)
    y = rng.integers(0, 2, n)
    pos = rng.integers(0, 8, n)
    for i in range(n):
        if y[i]:
            X[i, 0, :, pos[i]] = 1
        else:
            X[i, 0, pos[i], :] = 1
    model = build_cnn(input_shape=(1, 8, 8), channels=(4,), hidden=8, n_out=2, seed=1)
    history = fit(model, X.reshape(n, -1), y, epochs=15, batch_size=20, lr=0.01, seed=0,
                  progress=False)
    assert history.train_acc[-1] == 1.0, history
    loss = SoftmaxCrossEntropy()
    assert loss.forward(model.forward(X.reshape(n, -1)), y) < 0.1


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("make,x,match", [
    (lambda: Conv2D(3, 4, 3), np.zeros((2, 3, 5)), "4-D"),
    (lambda: Conv2D(3, 4, 3), np.zeros((2, 1, 5, 5)), "3 channels"),
    (lambda: Conv2D(1, 4, 5), np.zeros((2, 1, 3, 3)), "larger than the padded input"),
    (lambda: Conv2D(1, 4, 3), np.full((1, 1, 4, 4), np.nan), "NaN"),
    (lambda: Conv2D(1, 4, 3), np.zeros((1, 1, 4, 4), dtype=int), "floating-point"),
    (lambda: MaxPool2D(2), np.zeros((2, 3, 4)), "4-D"),
    (lambda: MaxPool2D(3), np.zeros((1, 1, 2, 5)), "larger than the input"),
    (lambda: Reshape((1, 28, 28)), np.zeros((2, 780)), "cannot reshape"),
    (lambda: Flatten(), np.zeros(5), "at least 2 dimensions"),
])
def test_bad_inputs_raise_clear_errors(make, x, match):
    with pytest.raises(ValueError, match=match):
        make().forward(x)


@pytest.mark.parametrize("kwargs,match", [
    (dict(stride=1.5), "stride must be a positive integer"),
    (dict(stride=0), "stride must be a positive integer"),
    (dict(padding=-1), "padding must be a non-negative integer"),
    (dict(kernel_size=(3, 3, 3)), "kernel_size must be"),
    (dict(kernel_size=0), "kernel_size must be"),
    (dict(init="zeros"), "unknown init"),
])
def test_bad_conv_arguments(kwargs, match):
    args = dict(in_channels=1, out_channels=2, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Conv2D(**args)


def test_bad_channel_counts_and_pool_arguments():
    with pytest.raises((TypeError, ValueError)):
        Conv2D(0, 2, 3)
    with pytest.raises((TypeError, ValueError)):
        Conv2D(1, 2.0, 3)
    with pytest.raises(ValueError, match="stride"):
        MaxPool2D(2, stride=0)
    with pytest.raises(ValueError, match="kernel_size"):
        MaxPool2D(True)


def test_backward_errors():
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2D(1, 2, 3).backward(np.zeros((1, 2, 1, 1)))
    with pytest.raises(RuntimeError, match="before forward"):
        MaxPool2D(2).backward(np.zeros((1, 1, 1, 1)))
    layer = Conv2D(1, 2, 3)
    layer.forward(np.zeros((2, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match="grad_out must have shape"):
        layer.backward(np.zeros((2, 2, 5, 5), np.float32))
    pool = MaxPool2D(2)
    pool.forward(np.zeros((2, 1, 4, 4)))
    with pytest.raises(ValueError, match="grad_out must have shape"):
        pool.backward(np.zeros((2, 1, 4, 4)))


def test_model_rejects_wrong_image_size_with_a_clear_message():
    model = Sequential(Reshape((1, 28, 28)), Conv2D(1, 2, 3))
    with pytest.raises(ValueError, match="cannot reshape samples"):
        model.forward(np.zeros((2, 100), np.float32))


# ------------------------------------------------------------ MaxPool2D: reference vs fast
@pytest.mark.parametrize("k,s", [(2, None), (3, None), ((2, 3), None), (2, 1), (3, 2), (3, 1),
                                 ((3, 2), (1, 2)), (1, None)])
@pytest.mark.parametrize("ties", [False, True])
def test_maxpool_fast_path_equals_the_reference_path(k, s, ties, monkeypatch):
    """Forward values and backward gradients, odd sizes (rows left out), and ties (a blank
    patch: small integers repeat), where both give the gradient to the first maximum."""
    rng = np.random.default_rng(0)
    shape = (3, 2, 9, 11)
    x = rng.integers(0, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    results = []
    for reference in (True, False):
        monkeypatch.setattr(MaxPool2D, "reference", reference)
        pool = MaxPool2D(k, s)
        out = pool.forward(x)
        g = np.random.default_rng(1).standard_normal(out.shape)
        results.append((out, pool.backward(g)))
    (out_ref, dx_ref), (out_fast, dx_fast) = results
    np.testing.assert_array_equal(out_fast, out_ref)
    np.testing.assert_allclose(dx_fast, dx_ref, rtol=1e-12, atol=1e-15)
    # each window's gradient lands on exactly one pixel: the totals agree
    assert dx_ref.sum() == pytest.approx(g.sum(), rel=1e-12)


@pytest.mark.parametrize("reference", [True, False])
def test_maxpool_gradient_check_both_paths(reference, monkeypatch):
    monkeypatch.setattr(MaxPool2D, "reference", reference)
    x = np.random.default_rng(2).permutation(2 * 2 * 7 * 7).reshape(2, 2, 7, 7) / 10.0
    for pool in (MaxPool2D(2), MaxPool2D(3, 2)):
        result = check_module(pool, x)
        assert result.passed, result
