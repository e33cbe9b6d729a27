r"""Exercises of chapter 7, automatic differentiation.

=============================  ==================================================================
name                           the learner writes
=============================  ==================================================================
``ch07.div_backward``          *check*: the two gradients of :math:`a / b` (the quotient rule)
``ch07.unbroadcast``           *build*: a broadcast operand's gradient summed back to its shape
``ch07.topological_order``     *build*: the order in which ``backward()`` visits a graph
``ch07.find_wrong_backwards``  *investigate*: which of several backward functions are wrong,
                               found by a gradient check the learner designs
=============================  ==================================================================

The references of the first two come from :mod:`nnlib.autograd`; the topological order's is
an explicit-stack version of the depth-first search the instructions prescribe, and the bug
hunt's knows which backward functions were planted wrong. Each mistake is one that learners
make.
"""

from __future__ import annotations

import numpy as np

from ._core import register

# --------------------------------------------------------------------------- division
div_ex = register(
    "ch07.div_backward", title="the backward pass of a / b",
    instructions="given the operands a and b (same shape) and g = dL/d(a/b), return the "
                 "pair (dL/da, dL/db)",
    hint="differentiate a / b once as a function of a (b fixed), once as a function of b "
         "(a fixed), and multiply each derivative by g (the chain rule)",
    output_names=("da", "db"))


@div_ex.inputs
def _div_inputs(rng):
    cases = []
    for shape in [(3,), (2, 4), (3, 2, 2)]:
        b = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        cases.append((rng.standard_normal(shape), b, rng.standard_normal(shape)))
    return cases


@div_ex.reference
def _div_reference(a, b, g):
    from nnlib.autograd import Tensor
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (ta / tb).backward(g)
    return ta.grad, tb.grad


@div_ex.solution
def div_backward(a, b, g):
    return g / b, -g * a / b**2


@div_ex.mistake("d(a/b)/db is -a/b², with a minus sign: a larger b makes a/b smaller "
                "(for positive a)")
def _div_no_minus(a, b, g):
    return g / b, g * a / b**2


@div_ex.mistake("d(a/b)/db = -a/b²: the a is missing (you wrote the derivative of 1/b)")
def _div_no_a(a, b, g):
    return g / b, -g / b**2


@div_ex.mistake("d(a/b)/da = 1/b, not b: a / b is a times 1/b")
def _div_times_b(a, b, g):
    return g * b, -g * a / b**2


@div_ex.mistake("multiply by the incoming gradient g: dL/da = g * d(a/b)/da (the chain rule)")
def _div_no_g(a, b, g):
    return 1 / b + 0 * g, -a / b**2


# --------------------------------------------------------------------------- unbroadcast
unbroadcast_ex = register(
    "ch07.unbroadcast", title="a broadcast operand's gradient summed back to its shape",
    instructions="grad has the shape of the result of a broadcasting operation and shape is "
                 "the shape of one operand; return the gradient of that operand: grad summed "
                 "over every axis that broadcasting added in front, and over every axis where "
                 "shape has a 1 that was stretched (keeping it as 1)",
    hint="an entry of the operand that broadcasting used k times gets the sum of the k "
         "gradients; np.sum(..., axis=..., keepdims=True) keeps a stretched axis as 1")


@unbroadcast_ex.inputs
def _unbroadcast_inputs(rng):
    pairs = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (3,)), ((2, 4, 3), (4, 1)),
             ((2, 4, 3), (2, 1, 3)), ((4, 3), ()), ((4, 3), (1, 1)), ((5,), (5,)),
             ((2, 3, 4), (1, 3, 1))]
    return [(rng.standard_normal(full), shape) for full, shape in pairs]


@unbroadcast_ex.reference
def _unbroadcast_reference(grad, shape):
    from nnlib.autograd import unbroadcast
    return unbroadcast(np.asarray(grad), tuple(shape))


@unbroadcast_ex.solution
def unbroadcast(grad, shape):
    grad = np.asarray(grad)
    n_added = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(n_added)))              # axes added in front
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)


@unbroadcast_ex.mistake("broadcasting also stretches axes of length 1 (shape (4, 1) against "
                        "(4, 3)): sum over those too, with keepdims=True")
def _unbroadcast_front_only(grad, shape):
    return np.asarray(grad).sum(axis=tuple(range(np.ndim(grad) - len(shape))))


@unbroadcast_ex.mistake("a stretched axis must stay, as 1: sum it with keepdims=True")
def _unbroadcast_no_keepdims(grad, shape):
    grad = np.asarray(grad)
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched)


@unbroadcast_ex.mistake("the operand's gradient is the *sum* of the gradients of its copies, "
                        "not their mean")
def _unbroadcast_mean(grad, shape):
    grad = np.asarray(grad)
    grad = grad.mean(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.mean(axis=stretched, keepdims=True)


@unbroadcast_ex.mistake("broadcasting adds axes in front (the shapes are aligned on the "
                        "right): sum the leading axes, not the trailing ones")
def _unbroadcast_trailing(grad, shape):
    grad = np.asarray(grad)
    return grad.sum(axis=tuple(range(len(shape), grad.ndim)))


# --------------------------------------------------------------------------- topological order
topo_ex = register(
    "ch07.topological_order", title="the order of a graph's nodes for the backward pass",
    instructions="parents[i] lists the nodes that node i was computed from (the last node is "
                 "the loss); return a list of node numbers, each node once, every node after "
                 "all of its parents: a depth-first search from the last node that visits the "
                 "parents in the order listed and appends a node once all its parents are in",
    hint="visit(node): if it was visited, return; otherwise mark it, visit each of its parents, "
         "then append it. A node used twice (a diamond) must appear once, after its parents")


def _random_dag(rng, n):
    """parents[i] from nodes < i; every node feeds a later one, so all lead to the loss."""
    parents = [[] for _ in range(n)]
    for i in range(1, n):
        k = int(rng.integers(1, min(i, 3) + 1))
        parents[i] = sorted(int(p) for p in rng.choice(i, size=k, replace=False))
    for j in range(n - 1):
        if not any(j in parents[i] for i in range(j + 1, n)):
            parents[int(rng.integers(j + 1, n))].append(j)
    return [sorted(set(p)) for p in parents]


@topo_ex.inputs
def _topo_inputs(rng):
    diamond = [[], [0], [0], [1, 2]]                 # x -> a, b -> a + b: x is reached twice
    chain = [[], [0], [1], [2]]
    return [(diamond,), (chain,), (_random_dag(rng, 8),), (_random_dag(rng, 15),)]


@topo_ex.reference
def _topo_reference(parents):
    # The recursive post-order of the instructions, written with an explicit stack (an
    # independent computation of the same order; nnlib.autograd's own sort may visit parents
    # in another order, equally valid, so it is not the reference here).
    order, seen, stack = [], set(), [(len(parents) - 1, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(parents[node]))
    return np.array(order)


@topo_ex.solution
def topological_order(parents):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in parents[node]:
            visit(parent)
        order.append(node)              # after every parent

    visit(len(parents) - 1)
    return order


@topo_ex.mistake("a node reached along two paths is listed twice: remember the visited nodes "
                 "and skip them")
def _topo_no_visited(parents):
    order = []

    def visit(i):
        for p in parents[i]:
            visit(p)
        order.append(i)
    visit(len(parents) - 1)
    return order


@topo_ex.mistake("a node is appended before its parents: append it after the loop over them "
                 "(post-order)")
def _topo_preorder(parents):
    order, seen = [], set()

    def visit(i):
        if i in seen:
            return
        seen.add(i)
        order.append(i)
        for p in parents[i]:
            visit(p)
    visit(len(parents) - 1)
    return order


@topo_ex.mistake("that is the order backward() walks (from the loss to the inputs); return "
                 "the forward order: every node after its parents")
def _topo_reversed(parents):
    return list(_topo_reference(parents))[::-1]


@topo_ex.mistake("a breadth-first walk from the loss, reversed, puts a node used at two "
                 "depths too early; use the depth-first post-order")
def _topo_bfs(parents):
    order, seen, queue = [], set(), [len(parents) - 1]
    while queue:
        i = queue.pop(0)
        if i in seen:
            continue
        seen.add(i)
        order.append(i)
        queue.extend(parents[i])
    return order[::-1]


# --------------------------------------------------------------------------- bug hunt
# Elementwise operations y = f(x) with a backward (x, g) -> g * f'(x), some of them wrong.
def _sq(x):
    return x**2


def _sq_grad(x, g):
    return 2 * x * g


def _sq_grad_wrong(x, g):
    return x * g                                     # the factor 2 forgotten


def _exp_grad(x, g):
    return np.exp(x) * g


def _exp_grad_wrong(x, g):
    return np.exp(x) * g * (1 + 1e-3)                # off by 0.1 %: a loose check misses it


def _tanh_grad(x, g):
    return (1 - np.tanh(x) ** 2) * g


def _tanh_grad_wrong(x, g):
    return (1 - np.tanh(x)) * g                      # tanh, not its square


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _sig_grad(x, g):
    s = _sig(x)
    return s * (1 - s) * g


def _sig_grad_wrong(x, g):
    return _sig(x) * g                               # the output, not the derivative


def _cube(x):
    return 1e6 * x**3                                # large values: relative error needed


def _cube_grad(x, g):
    return 3e6 * x**2 * g


def _cube_grad_wrong(x, g):
    return 3.003e6 * x**2 * g                        # off by 0.1 %


OPS = {
    "square": (_sq, _sq_grad, _sq_grad_wrong), "exp": (np.exp, _exp_grad, _exp_grad_wrong),
    "tanh": (np.tanh, _tanh_grad, _tanh_grad_wrong), "sigmoid": (_sig, _sig_grad,
                                                                  _sig_grad_wrong),
    "cube": (_cube, _cube_grad, _cube_grad_wrong),
}

hunt_ex = register(
    "ch07.find_wrong_backwards", title="a gradient check that finds the wrong backward passes",
    instructions="ops is a list of (forward, backward) pairs of elementwise functions: "
                 "forward(x) -> y, backward(x, g) -> dL/dx for g = dL/dy. Return one number "
                 "per pair: 1 if its backward is wrong, 0 if it is right. Decide with your own "
                 "gradient check on inputs of your choice",
    hint="compare backward(x, g) with the centred difference (f(x + h) - f(x - h)) / (2h) * g "
         "at a few random x, with h around 1e-5 in float64, and judge by the *relative* error "
         "(a good backward gives about 1e-9, a wrong one far more)")


@hunt_ex.inputs
def _hunt_inputs(rng):
    names = list(OPS)
    cases = []
    for _ in range(4):
        wrong = rng.random(len(names)) < 0.5
        cases.append(([(OPS[n][0], OPS[n][2] if w else OPS[n][1])
                       for n, w in zip(names, wrong)],))
    cases.append(([(OPS[n][0], OPS[n][1]) for n in names],))       # none wrong
    cases.append(([(OPS[n][0], OPS[n][2]) for n in names],))       # all wrong
    return cases


@hunt_ex.reference
def _hunt_reference(ops):
    flags = []
    for _forward, backward in ops:
        wrong = any(backward is OPS[n][2] for n in OPS)
        flags.append(1.0 if wrong else 0.0)
    return np.array(flags)


@hunt_ex.solution
def find_wrong_backwards(ops):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2, 20) * rng.choice([-1, 1], 20)      # away from 0
    g = rng.standard_normal(20)
    h = 1e-5
    flags = []
    for forward, backward in ops:
        numeric = (forward(x + h) - forward(x - h)) / (2 * h) * g
        analytic = backward(x, g)
        error = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric),
                                                        1e-12)
        flags.append(int(error.max() > 1e-6))
    return flags


def _check_with(tol, h=1e-5, relative=True, one_sided=False):
    def hunt(ops):
        rng = np.random.default_rng(0)
        x = rng.uniform(0.5, 2, 20) * rng.choice([-1, 1], 20)
        g = rng.standard_normal(20)
        flags = []
        for forward, backward in ops:
            if one_sided:
                numeric = (forward(x + h) - forward(x)) / h * g
            else:
                numeric = (forward(x + h) - forward(x - h)) / (2 * h) * g
            diff = np.abs(backward(x, g) - numeric)
            if relative:
                diff = diff / np.maximum(np.abs(backward(x, g)) + np.abs(numeric), 1e-12)
            flags.append(int(diff.max() > tol))
        return flags
    return hunt


@hunt_ex.mistake("a tolerance of 1 % lets an error of 0.1 % through: a correct backward agrees "
                 "with the centred difference to about 1e-9 in float64, so judge at 1e-6")
def _hunt_loose(ops):
    return _check_with(1e-2)(ops)


@hunt_ex.mistake("an absolute error depends on the size of the numbers: 10⁶ x³ has gradients "
                 "in the millions, so use the relative error")
def _hunt_absolute(ops):
    return _check_with(1e-6, relative=False)(ops)


@hunt_ex.mistake("every backward is flagged wrong, so your numerical derivative is the "
                 "inaccurate one: the one-sided difference (f(x + h) - f(x)) / h is only "
                 "accurate to about h (use the centred one, accurate to h²), and an h as small "
                 "as 1e-12 loses most digits of f(x + h) - f(x - h) to rounding (take h ≈ 1e-5)")
def _hunt_one_sided(ops):
    return _check_with(1e-6, h=1e-5, one_sided=True)(ops)
