"""The benchmarks' reference code must compute what it claims: the bare NumPy epoch of
``benchmarks/bench_training.py`` is the same training as ``nnlib.fit``, or its ratio to the
floor would prove nothing. (Speed itself is measured by the benchmarks, never by tests.)"""

import sys
from pathlib import Path

import numpy as np
import pytest

import nnlib

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench = pytest.importorskip("bench_training")


@pytest.mark.parametrize("sizes", [[20, 16, 5], [20, 16, 12, 5]])
def test_bare_numpy_epoch_trains_exactly_like_fit(sizes):
    rng = np.random.default_rng(0)
    X = rng.random((700, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], 700)
    model = nnlib.build_mlp(sizes[0], sizes[1:-1], sizes[-1], seed=1)
    net = bench.NumpyMLP(sizes, seed=5)
    dense = [layer for layer in model.layers if isinstance(layer, nnlib.Dense)]
    for layer, W, b in zip(dense, net.W, net.b):      # start from the same weights
        W[...] = layer.W.value
        b[...] = layer.b.value
    start = [W.copy() for W in net.W]
    opt = nnlib.Adam(model.parameters(), lr=1e-3)
    for epoch in range(2):                             # 6 steps of 128, the last of 60 rows
        bench.numpy_epoch(X, y, net, seed=epoch)
        nnlib.fit(model, X, y, optimizer=opt, epochs=1, batch_size=bench.BATCH, seed=epoch,
                  progress=False)
    assert all(np.abs(W - W0).max() > 1e-3 for W, W0 in zip(net.W, start))    # it trained
    # 10-pass and 13-pass Adam differ only in rounding
    for layer, W, b in zip(dense, net.W, net.b):
        np.testing.assert_allclose(W, layer.W.value, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b, layer.b.value, rtol=1e-4, atol=1e-6)
    assert net.t == 12
