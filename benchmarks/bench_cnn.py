"""Seconds per epoch of the NumPy CNN of chapter 6, and where the time goes.

    python benchmarks/bench_cnn.py                 # the chapter's CNN, 1 epoch of 60,000
    python benchmarks/bench_cnn.py --samples 6000  # a tenth of an epoch, scaled up
    python benchmarks/bench_cnn.py --channels 32 64 --batch-size 256

The data are KMNIST's 60,000 training images when ``nnlib.datasets`` finds them (set
``NNLIB_DATA``), otherwise random images of the same shape (the speed is the same).

Every layer's ``forward`` and ``backward`` and the im2col/col2im helpers are wrapped with
``time.perf_counter``; the time of an epoch is split into

* **matrix products**: Conv2D and Dense forward/backward, minus their im2col/col2im;
* **im2col / col2im**: building the patch matrix (with the padding) and folding it back;
* **pooling**: MaxPool2D forward and backward;
* **other**: ReLU, reshapes, the loss, the optimizer, indexing the mini-batches.

The timers add a few microseconds per call (about 10 per step), which is negligible.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nnlib.conv as conv  # noqa: E402
from nnlib import fit  # noqa: E402


def load_data(n: int, seed: int = 0):
    """The first ``n`` KMNIST training images (flattened), or random ones of that shape."""
    try:
        from nnlib.datasets import load_kmnist
        X, y, _, _ = load_kmnist(flatten=True, download=False)
        return X[:n], y[:n], "KMNIST"
    except Exception as exc:  # no data on this machine: the speed does not depend on it
        print(f"(KMNIST not found: {type(exc).__name__}; using random images)")
        rng = np.random.default_rng(seed)
        return (rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n),
                "random images")


class Timers:
    """Accumulated seconds per category, and wrappers that fill them."""

    def __init__(self):
        self.seconds = defaultdict(float)

    def wrap(self, fn, key):
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - t
        return timed


def instrument(model, timers: Timers):
    """Wrap every layer's forward/backward and nnlib.conv's im2col/col2im (in place)."""
    for layer in model.layers:
        name = type(layer).__name__
        layer.forward = timers.wrap(layer.forward, f"{name}.forward")
        layer.backward = timers.wrap(layer.backward, f"{name}.backward")
    conv.im2col = timers.wrap(conv.im2col, "im2col")
    conv.col2im = timers.wrap(conv.col2im, "col2im")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60_000,
                        help="training images per measured epoch (the time is scaled to 60,000)")
    parser.add_argument("--channels", type=int, nargs=2, default=(32, 64),
                        metavar=("C1", "C2"), help="channels of the two convolutions")
    parser.add_argument("--hidden", type=int, default=128, help="units of the dense layer")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)

    n = args.samples
    X, y, source = load_data(n)
    model = conv.build_cnn(channels=args.channels, hidden=args.hidden, seed=0)
    timers = Timers()
    instrument(model, timers)
    print(f"CNN conv {args.channels[0]}-{args.channels[1]}, dense {args.hidden}, "
          f"{model.n_parameters():,} parameters; batch {args.batch_size}; "
          f"{len(X):,} {source}; {os.cpu_count()} CPUs")
    start = time.perf_counter()
    fit(model, X, y, epochs=1, batch_size=args.batch_size, lr=1e-3, seed=0, progress=False)
    total = time.perf_counter() - start

    s = timers.seconds
    matmul_layers = ("Conv2D", "Dense")
    layer_time = sum(v for k, v in s.items() if k.split(".")[0] in matmul_layers)
    im2col_time = s["im2col"] + s["col2im"]
    parts = {
        "matrix products (Conv2D, Dense)": layer_time - im2col_time,
        "im2col / col2im": im2col_time,
        "pooling (MaxPool2D)": s["MaxPool2D.forward"] + s["MaxPool2D.backward"],
    }
    parts["other (ReLU, loss, optimizer, batches)"] = total - sum(parts.values())
    scale = 60_000 / len(X)
    print(f"seconds per epoch of 60,000 images: {total * scale:.1f} s"
          + (f"  (measured on {len(X):,}: {total:.1f} s)" if len(X) != 60_000 else ""))
    for name, sec in parts.items():
        print(f"  {name:40s} {sec * scale:7.1f} s  {100 * sec / total:5.1f} %")
    print("  by layer (forward + backward, s per epoch):")
    for key in sorted(s, key=s.get, reverse=True):
        if key not in ("im2col", "col2im"):
            print(f"    {key:24s} {s[key] * scale:7.2f}")
    print(f"    of which im2col {s['im2col'] * scale:.2f}, col2im {s['col2im'] * scale:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
