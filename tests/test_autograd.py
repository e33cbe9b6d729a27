"""The autodiff engine of chapter 7 (``nnlib/autograd.py``).

Every operation is checked in float64 against centred differences (relative error below
1e-7), with broadcasting and reuse; then the engine's MLP against nnlib's hand-written
layers (1e-12), the bookkeeping (accumulation, no_grad, deep graphs, dtypes), bad input,
and tests aimed at the two classic bugs: a dropped broadcasting sum and a gradient assigned
instead of added.
"""

import sys

import numpy as np
import pytest

import nnlib
from nnlib import SGD, Dense, ReLU, Sequential, SoftmaxCrossEntropy
from nnlib.autograd import (
    Tensor,
    binary_cross_entropy,
    exp,
    graph,
    is_grad_enabled,
    log,
    maximum,
    no_grad,
    parameter_leaves,
    relu,
    softmax_cross_entropy,
    store_grads,
    tanh,
    tensor,
    unbroadcast,
)
from nnlib.gradcheck import numerical_gradient, relative_error

TOL = 1e-7
LABELS = np.array([0, 2, 1, 2, 0, 1])
TARGETS = np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [0.3]])


def positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def away_from_zero(*shape):
    """|x| in [0.2, 2]: no ReLU kink within eps of any entry."""
    return lambda rng: rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# (name, function of tensors, makers of the float64 inputs)
CASES = [
    ("add", lambda a, b: a + b, [normal(3, 4), normal(3, 4)]),
    ("add row vector + matrix", lambda a, b: a + b, [normal(4), normal(3, 4)]),
    ("add (n,1) + (1,m)", lambda a, b: a + b, [normal(3, 1), normal(1, 4)]),
    ("add (3,1) + (2,3,4)", lambda a, b: a + b, [normal(3, 1), normal(2, 3, 4)]),
    ("sub matrix - row", lambda a, b: a - b, [normal(3, 4), normal(4)]),
    ("sub (1,m) - (n,1)", lambda a, b: a - b, [normal(1, 4), normal(3, 1)]),
    ("mul", lambda a, b: a * b, [normal(3, 4), normal(3, 4)]),
    ("mul scalar * matrix", lambda a, b: a * b, [normal(), normal(3, 4)]),
    ("mul (n,1) * (1,m)", lambda a, b: a * b, [normal(3, 1), normal(1, 4)]),
    ("div", lambda a, b: a / b, [normal(3, 4), positive(3, 4)]),
    ("div by row", lambda a, b: a / b, [normal(3, 4), positive(4)]),
    ("div (n,1) / (1,m)", lambda a, b: a / b, [positive(3, 1), positive(1, 4)]),
    ("pow constant", lambda a: a ** 3, [normal(3, 4)]),
    ("pow 0.5", lambda a: a ** 0.5, [positive(3, 4)]),
    ("pow tensor exponent", lambda a, b: a ** b, [positive(3, 4), normal(4)]),
    ("neg", lambda a: -a, [normal(3, 4)]),
    ("matmul 2-D @ 2-D", lambda a, b: a @ b, [normal(3, 4), normal(4, 5)]),
    ("matmul 1-D @ 2-D", lambda a, b: a @ b, [normal(4), normal(4, 5)]),
    ("matmul 2-D @ 1-D", lambda a, b: a @ b, [normal(3, 4), normal(4)]),
    ("matmul 1-D @ 1-D", lambda a, b: a @ b, [normal(4), normal(4)]),
    ("matmul batched 3-D @ 2-D", lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 5)]),
    ("matmul 1-D @ 3-D", lambda a, b: a @ b, [normal(4), normal(2, 4, 5)]),
    ("matmul 3-D @ 1-D", lambda a, b: a @ b, [normal(2, 3, 4), normal(4)]),
    ("sum all", lambda a: a.sum(), [normal(3, 4)]),
    ("reshape", lambda a: a.reshape(2, 6), [normal(3, 4)]),
    ("reshape -1", lambda a: a.reshape((-1,)), [normal(2, 3, 2)]),
    ("transpose .T", lambda a: a.T, [normal(3, 4)]),
    ("transpose axes", lambda a: a.transpose(2, 0, 1), [normal(2, 3, 4)]),
    ("getitem slice", lambda a: a[1:, ::2], [normal(3, 4)]),
    ("getitem repeated rows", lambda a: a[[0, 2, 0, 0]], [normal(3, 4)]),
    ("getitem repeated pairs", lambda a: a[[0, 1, 0, 0], [2, 3, 2, 2]], [normal(3, 4)]),
    ("getitem column repeats", lambda a: a[:, [1, 1, 3]], [normal(3, 4)]),
    ("getitem boolean mask", lambda a: a[np.array([True, False, True])], [normal(3, 4)]),
    ("exp", lambda a: a.exp(), [normal(3, 4)]),
    ("log", lambda a: a.log(), [positive(3, 4)]),
    ("relu", lambda a: a.relu(), [away_from_zero(3, 4)]),
    ("maximum", lambda a, b: maximum(a, b), [away_from_zero(3, 4), away_from_zero(3, 4)]),
    ("maximum with a row", lambda a, b: maximum(a, b), [normal(3, 4), normal(4)]),
    ("tanh", lambda a: a.tanh(), [normal(3, 4)]),
    ("sigmoid", lambda a: a.sigmoid(), [normal(3, 4)]),
    ("log_softmax rows", lambda a: a.log_softmax(), [normal(3, 4)]),
    ("log_softmax axis 0", lambda a: a.log_softmax(axis=0), [normal(3, 4)]),
    ("softmax_cross_entropy", lambda z: softmax_cross_entropy(z, LABELS), [normal(6, 3)]),
    ("binary_cross_entropy", lambda z: binary_cross_entropy(z, TARGETS), [normal(6, 1)]),
    ("binary_cross_entropy large logits",
     lambda z: binary_cross_entropy(z * 30, TARGETS), [normal(6, 1)]),
    ("functions exp log tanh relu",
     lambda a: exp(a) + log(a) + tanh(a) + relu(a - 1.25), [positive(3, 4)]),
    ("reflected with numbers", lambda a: 1 - 2 * a + 3 / a + 2 ** a, [positive(3, 4)]),
    ("reflected with arrays", lambda a: np.ones((2, 3)) @ a + np.arange(4.0) - np.ones(4) * a[:2],
     [normal(3, 4)]),
    ("reuse x * x", lambda a: a * a, [normal(3, 4)]),
    ("reuse in two branches", lambda a: a.exp() * a.tanh() + a, [normal(3, 4)]),
    ("reuse in a broadcast", lambda a: a + a.sum(axis=0), [normal(3, 4)]),
    ("two-layer net", lambda x, w, b, v: softmax_cross_entropy(
        (x @ w + b).tanh() @ v, LABELS), [normal(6, 4), normal(4, 5), normal(5), normal(5, 3)]),
]
for axis in (None, 0, 1, -1, (0, 2)):
    for keepdims in (False, True):
        CASES.append((f"sum axis={axis} keepdims={keepdims}",
                      lambda a, axis=axis, k=keepdims: a.sum(axis=axis, keepdims=k),
                      [normal(2, 3, 4)]))
        CASES.append((f"mean axis={axis} keepdims={keepdims}",
                      lambda a, axis=axis, k=keepdims: a.mean(axis=axis, keepdims=k),
                      [normal(2, 3, 4)]))


def gradient_errors(fn, makers, seed=0):
    """Relative error of the engine's gradient for each input, against centred differences.

    A non-scalar output is reduced with a fixed random ``R`` passed as ``backward(R)``, so
    the checked function is :math:`\\sum \\text{out} \\odot R`.
    """
    rng = np.random.default_rng(seed)
    arrays = [make(rng) for make in makers]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    R = rng.standard_normal(out.shape)
    out.backward(R if out.ndim else None)
    if not out.ndim:
        R = 1.0

    def f():                               # reads the arrays numerical_gradient perturbs
        with no_grad():
            return float(np.sum(fn(*[Tensor(a) for a in arrays]).value * R))

    return [relative_error(leaf.grad, numerical_gradient(f, a))
            for a, leaf in zip(arrays, leaves)]


@pytest.mark.parametrize("name,fn,makers", CASES, ids=[c[0] for c in CASES])
def test_operation_gradient(name, fn, makers):
    errors = gradient_errors(fn, makers)
    assert max(errors) < TOL, errors


def test_reuse_gradients_are_exact():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.value)        # both uses count
    y = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    (y * 3 + y * 4).sum().backward()                          # two branches
    np.testing.assert_array_equal(y.grad, [7.0, 7.0])


@pytest.mark.parametrize("a_shape,b_shape", [((4,), (3, 4)), ((3, 1), (1, 4)), ((), (3, 4)),
                                             ((1, 4), (3, 4)), ((3, 1), (2, 3, 4))])
def test_broadcast_gradient_is_summed_to_operand_shape(a_shape, b_shape):
    a = Tensor(np.ones(a_shape), requires_grad=True)
    b = Tensor(np.ones(b_shape), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    uses = np.broadcast_shapes(a_shape, b_shape)
    np.testing.assert_array_equal(a.grad, np.full(a_shape, np.prod(uses) / np.prod(a_shape)))
    np.testing.assert_array_equal(b.grad, np.ones(b_shape) * np.prod(uses) / np.prod(b_shape))


def test_unbroadcast():
    g = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (4,)), g.sum(axis=0))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), g.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(unbroadcast(g, (1, 1)), [[g.sum()]])
    assert unbroadcast(g, ()) == g.sum()
    assert unbroadcast(g, (3, 4)) is g


def test_backward_twice_accumulates_and_zero_grad_resets():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x = np.array([3.0, -1.0])
    loss = (w * x).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad, x)
    loss.backward()                                          # the same graph again
    np.testing.assert_array_equal(w.grad, 2 * x)
    (w * w).sum().backward()                                 # another graph adds too
    np.testing.assert_array_equal(w.grad, 2 * x + 2 * w.value)
    w.zero_grad()
    assert w.grad is None


def test_only_leaves_keep_grad_unless_retained():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    k = (x * 3).retain_grad()
    (h * k).sum().backward()
    assert h.grad is None and not h.is_leaf and x.is_leaf
    np.testing.assert_array_equal(k.grad, h.value)           # d(h k)/dk = h
    np.testing.assert_array_equal(x.grad, 2 * 3 * 2 * x.value)


def test_constants_get_no_gradient():
    x = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.full(3, 2.0))
    (x * c).sum().backward()
    assert c.grad is None and not c.requires_grad
    assert (c * c).requires_grad is False


def test_deep_chain_needs_no_recursion():
    depth = 5000
    assert depth > sys.getrecursionlimit()
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0001 + x                                   # x is also used 5000 times
    y.sum().backward()
    c = 1.0001
    expected = c ** depth + sum(c ** k for k in range(depth))
    np.testing.assert_allclose(x.grad, [expected, expected], rtol=1e-10)


def test_no_grad_records_nothing():
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        out = (w @ w).relu().sum()
    assert not out.requires_grad and out.is_leaf and out._parents == ()
    assert out.op == "sum"
    with pytest.raises(RuntimeError, match="no_grad"):
        out.backward()
    assert w.grad is None
    with pytest.raises(KeyError), no_grad():                 # restored after an error too
        raise KeyError
    assert is_grad_enabled() and (w * 2).requires_grad


def test_dtype_follows_the_data():
    x32 = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    out = (2 * x32 + np.ones(3) - 1.5) @ np.ones((3, 2)) / 3
    assert out.dtype == np.float32                           # constants take x's dtype
    x64 = Tensor(np.ones(3), requires_grad=True)
    mixed = (x32 * x64).sum()                                # NumPy promotes the value
    assert mixed.dtype == np.float64
    mixed.backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    assert Tensor(np.array([1, 2])).dtype == np.float64      # integers: float64
    assert Tensor([True, False], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2, np.float32)).dtype == np.float32
    z = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    loss = softmax_cross_entropy(z, np.array([0, 1, 2, 0]))
    loss.backward()
    assert loss.dtype == np.float32 and z.grad.dtype == np.float32


def test_leaf_shares_memory_and_helpers():
    a = np.ones(3)
    t = tensor(a, requires_grad=True)
    assert t.value is a and t.requires_grad and t.shape == (3,) and len(t) == 3
    assert t.detach().value is a and not t.detach().requires_grad
    assert (t.sum() * 2).item() == 6.0
    assert "requires_grad=True" in repr(t) and "op='mul'" in repr(t * 2)


def test_cross_entropy_is_stable_for_huge_logits():
    z = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]]), requires_grad=True)
    loss = softmax_cross_entropy(z, np.array([0, 0]))
    loss.backward()
    assert np.isclose(loss.item(), 1e4) and np.isfinite(z.grad).all()


# --- the engine's MLP against nnlib's hand-written layers ---------------------------------
def mlp_pair(dtype=np.float64, n_in=5, hidden=7, n_out=3, n=8, seed=0):
    model = Sequential(Dense(n_in, hidden, seed=seed, dtype=dtype), ReLU(),
                       Dense(hidden, n_out, seed=seed + 1, dtype=dtype))
    rng = np.random.default_rng(seed + 2)
    for p in model.parameters():                             # non-zero biases
        p.value[...] = rng.standard_normal(p.shape).astype(dtype)
    X = rng.standard_normal((n, n_in)).astype(dtype)
    y = rng.integers(0, n_out, n)
    return model, X, y


def engine_mlp(leaves, X, y):
    """Dense-ReLU-Dense and the fused softmax cross-entropy, on the engine."""
    h = (X @ leaves["0.W"] + leaves["0.b"]).relu()
    return softmax_cross_entropy(h @ leaves["2.W"] + leaves["2.b"], y)


def test_engine_mlp_matches_nnlib_layers():
    model, X, y = mlp_pair()
    criterion = SoftmaxCrossEntropy()
    loss = criterion.forward(model.forward(X), y)
    dX = model.backward(criterion.backward())

    leaves = parameter_leaves(model)
    assert set(leaves) == {"0.W", "0.b", "2.W", "2.b"}
    x = Tensor(X, requires_grad=True)
    out = engine_mlp(leaves, x, y)
    out.backward()
    assert abs(out.item() - loss) <= 1e-12 * abs(loss)
    np.testing.assert_allclose(x.grad, dX, rtol=1e-12, atol=1e-15)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(leaves[name].grad, p.grad, rtol=1e-12, atol=1e-15,
                                   err_msg=name)


def test_store_grads_lets_an_nnlib_optimizer_step():
    model, X, y = mlp_pair()
    twin, _, _ = mlp_pair()
    criterion = SoftmaxCrossEntropy()
    opt, twin_opt = SGD(model.parameters(), lr=0.1), SGD(twin.parameters(), lr=0.1)
    for _ in range(3):
        leaves = parameter_leaves(model)                     # after the optimizer: shared
        engine_mlp(leaves, X, y).backward()
        store_grads(leaves, model)
        opt.step()
        criterion.forward(twin.forward(X), y)
        twin.backward(criterion.backward())
        twin_opt.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-12, atol=1e-14)
    with pytest.raises(RuntimeError, match="backward"):
        store_grads(parameter_leaves(model), model)


# --- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("y,match", [
    (np.array([0, 1, 3]), r"0\.\.2"),
    (np.array([0, -1, 2]), r"0\.\.2"),
    (np.array([0.0, 1.0, 2.0]), "integer"),
    (np.array([[0], [1], [2]]), "1-D"),
    (np.array([0, 1]), "3 rows"),
])
def test_cross_entropy_bad_labels(y, match):
    z = Tensor(np.zeros((3, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        softmax_cross_entropy(z, y)


def test_cross_entropy_bad_logits():
    with pytest.raises(ValueError, match=r"2-D.*\(3,\)"):
        softmax_cross_entropy(Tensor(np.zeros(3)), np.array([0]))
    with pytest.raises(TypeError, match="Tensor"):
        softmax_cross_entropy(np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(TypeError, match="integer labels"):
        softmax_cross_entropy(Tensor(np.zeros((2, 2))), Tensor(np.array([0, 1])))


@pytest.mark.parametrize("a,b", [((3, 4), (5, 2)), ((4,), (3,)), ((2, 3), (2,)), ((), (3,))])
def test_matmul_shape_mismatch(a, b):
    with pytest.raises(ValueError, match=rf"matmul: shapes {a} and {b}".replace("(", r"\(")
                       .replace(")", r"\)")):
        Tensor(np.ones(a)) @ Tensor(np.ones(b))


def test_backward_bad_calls():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"scalar, got shape \(2, 3\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"\(2, 3\), got \(3,\)"):
        (x * 2).backward(np.ones(3))
    assert x.grad is None                                    # nothing half-done
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor(np.ones(1)).backward()


@pytest.mark.parametrize("value,match", [(np.array(["a"]), "real numbers"),
                                         (np.array([1j]), "real numbers"),
                                         (Tensor(np.ones(2)), "already a Tensor")])
def test_tensor_bad_values(value, match):
    with pytest.raises(TypeError, match=match):
        Tensor(value)


def test_tensor_bad_dtype():
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.ones(2), dtype=np.int32)
    with pytest.raises(TypeError, match="Tensor"):
        exp(np.ones(2))


def test_binary_cross_entropy_equals_nnlibs_loss_and_refuses_bad_targets():
    z = np.random.default_rng(3).standard_normal((6, 1)) * 5
    reference = nnlib.BinaryCrossEntropy()
    expected = reference.forward(z, TARGETS)
    leaf = Tensor(z, requires_grad=True)
    loss = binary_cross_entropy(leaf, TARGETS)
    loss.backward()
    assert abs(loss.item() - expected) < 1e-12
    np.testing.assert_allclose(leaf.grad, reference.backward(), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="shape of logits"):
        binary_cross_entropy(leaf, TARGETS[:, 0])
    with pytest.raises(TypeError, match="not a Tensor"):
        binary_cross_entropy(leaf, Tensor(TARGETS))


def test_graph_lists_every_node_once_after_its_parents():
    x = Tensor(np.ones(3), requires_grad=True)
    a, b = x * 2, x.exp()
    out = (a + b).sum()
    nodes = graph(out)
    assert nodes[-1] is out and len(nodes) == len({id(n) for n in nodes}) == 5
    position = {id(n): i for i, n in enumerate(nodes)}
    for n in nodes:
        assert all(position[id(p)] < position[id(n)] for p in n.parents if p.requires_grad)
    assert out.parents[0].parents == (a, b) and x.parents == ()


@pytest.mark.parametrize("n", [112, 7, 128])
def test_the_fused_losses_give_nnlibs_gradients_bit_for_bit_in_float32(n):
    # Training with the engine then follows nnlib.fit step for step: the gradient is divided
    # by N as nnlib's losses divide it (multiplying by a rounded 1/N differs in the last bit)
    rng = np.random.default_rng(n)
    logits = rng.standard_normal((n, 10)).astype(np.float32) * 3
    y = rng.integers(0, 10, n)
    ce = nnlib.SoftmaxCrossEntropy()
    ce.forward(logits, y)
    leaf = Tensor(logits, requires_grad=True)
    softmax_cross_entropy(leaf, y).backward()
    assert leaf.grad.dtype == np.float32 and np.array_equal(leaf.grad, ce.backward())
    z = rng.standard_normal((n, 1)).astype(np.float32) * 3
    t = (rng.random((n, 1)) < 0.5).astype(np.float32)
    bce = nnlib.BinaryCrossEntropy()
    bce.forward(z, t)
    leaf = Tensor(z, requires_grad=True)
    binary_cross_entropy(leaf, t).backward()
    assert leaf.grad.dtype == np.float32 and np.array_equal(leaf.grad, bce.backward())


def test_backward_takes_a_list_or_a_tensor_as_grad_and_keeps_the_dtype():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    (x * 2.0).backward([1.0, 2.0, 3.0])
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0, 6.0]
    x.zero_grad()
    (x * 2.0).backward(Tensor(np.full(3, 0.5)))
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0, 1.0]


def test_transpose_without_axes_reverses_them():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.transpose()
    assert y.shape == (3, 2) and np.array_equal(y.value, x.value.T)
    y.backward(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(3, 2).T)


def test_relu_and_maximum_at_the_kink():
    x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    x.relu().backward(np.ones(3))
    assert x.grad.tolist() == [0.0, 0.0, 1.0]          # 0 at the kink, as nnlib.ReLU
    a, b = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([1.0, 3.0]),
                                                                  requires_grad=True)
    maximum(a, b).backward(np.ones(2))
    assert a.grad.tolist() == [1.0, 0.0] and b.grad.tolist() == [0.0, 1.0]   # a on a tie


def test_tensor_is_a_constant_unless_asked():
    assert not tensor(1.0).requires_grad and tensor(1.0, requires_grad=True).requires_grad


def test_the_fused_losses_scale_by_the_incoming_gradient():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 3))
    y = rng.integers(0, 3, 5)
    for make in (lambda leaf: softmax_cross_entropy(leaf, y),
                 lambda leaf: binary_cross_entropy(leaf, (z > 0).astype(float))):
        once, twice = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
        make(once).backward()
        make(twice).backward(np.array(2.0))
        np.testing.assert_allclose(twice.grad, 2 * once.grad, rtol=1e-15)


def test_binary_cross_entropy_takes_targets_as_a_list():
    leaf = Tensor(np.zeros((2, 1), dtype=np.float32), requires_grad=True)
    binary_cross_entropy(leaf, [[1.0], [0.0]]).backward()
    assert leaf.grad.dtype == np.float32
    np.testing.assert_allclose(leaf.grad, [[-0.25], [0.25]])
