"""Seconds per epoch of the NumPy CNN of chapter 6, and where the time goes.

    python benchmarks/bench_cnn.py                 # the chapter's CNN, 1 epoch of 60,000
    python benchmarks/bench_cnn.py --samples 6000  # a tenth of an epoch, scaled up
    python benchmarks/bench_cnn.py --channels 32 64 --batch-size 256
    python benchmarks/bench_cnn.py --accuracy --seeds 0 1 2   # the chapter's run, 3 seeds
    python benchmarks/bench_cnn.py --accuracy --epochs 15     # a longer run

The data are KMNIST's 60,000 training images when ``nnlib.datasets`` finds them (set
``NNLIB_DATA``), otherwise random images of the same shape (the speed is the same).

Every layer's ``forward`` and ``backward`` and the im2col/col2im helpers are wrapped with
``time.perf_counter``; the time of an epoch is split into

* **matrix products**: Conv2D and Dense forward/backward, minus their im2col/col2im;
* **im2col / col2im**: building the patch matrix (with the padding) and folding it back;
* **pooling**: MaxPool2D forward and backward;
* **other**: ReLU, reshapes, the loss, the optimizer, indexing the mini-batches.

The timers add a few microseconds per call (about 10 per step), which is negligible.

``--accuracy`` instead trains the chapter's CNN with the chapter's recipe (the seed sets the
validation split, the weights, the batches and the shifts, as ``SEED`` in the notebook) and
prints the validation and test accuracy of each seed: the headline of chapter 6 for
several seeds, or for longer runs. It needs the KMNIST files.
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


def accuracy_runs(args) -> int:
    """Train the chapter's CNN for each seed; print validation and test accuracy."""
    from nnlib import Adam, CosineDecay, evaluate, fit
    from nnlib.augmentation import RandomShift, fit_augmented
    from nnlib.datasets import load_kmnist
    from nnlib.preprocessing import train_val_split

    data = load_kmnist(flatten=True, download=False)
    print(f"CNN conv {args.channels[0]}-{args.channels[1]}, dense {args.hidden}; Adam lr "
          f"{args.lr:g} with cosine decay, {args.epochs} epochs, batch {args.batch_size}, "
          f"random shifts of up to {args.shift} px")
    tests = []
    for seed in args.seeds:
        X_fit, X_val, y_fit, y_val = train_val_split(data.X_train, data.y_train,
                                                     val_fraction=0.1, seed=seed)
        model = conv.build_cnn(channels=args.channels, hidden=args.hidden, seed=seed)
        kwargs = dict(epochs=args.epochs, optimizer=Adam(model.parameters(), lr=args.lr),
                      batch_size=args.batch_size, schedule=CosineDecay(args.lr, args.epochs),
                      seed=seed, progress=False)
        start = time.perf_counter()
        if args.shift > 0:
            fit_augmented(model, X_fit, y_fit, augment=RandomShift(args.shift), **kwargs)
        else:
            fit(model, X_fit, y_fit, **kwargs)
        seconds = (time.perf_counter() - start) / args.epochs
        val = evaluate(model, X_val, y_val, batch_size=1000)[1]
        test = evaluate(model, data.X_test, data.y_test, batch_size=1000)[1]
        tests.append(test)
        print(f"seed {seed}: validation {100 * val:.2f} %, test {100 * test:.2f} % "
              f"({seconds:.1f} s/epoch)", flush=True)
    print(f"test accuracy: mean {100 * np.mean(tests):.2f} %, min {100 * min(tests):.2f} %, "
          f"max {100 * max(tests):.2f} % over {len(tests)} seeds")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60_000,
                        help="training images per measured epoch (the time is scaled to 60,000)")
    parser.add_argument("--channels", type=int, nargs=2, default=(16, 32),
                        metavar=("C1", "C2"), help="channels of the two convolutions")
    parser.add_argument("--hidden", type=int, default=128, help="units of the dense layer")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--accuracy", action="store_true",
                        help="train with the chapter's recipe and print test accuracies")
    parser.add_argument("--epochs", type=int, default=8, help="with --accuracy")
    parser.add_argument("--lr", type=float, default=2e-3, help="with --accuracy")
    parser.add_argument("--shift", type=int, default=2,
                        help="with --accuracy: random shifts of up to this many pixels")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="with --accuracy")
    args = parser.parse_args(argv)
    if args.accuracy:
        return accuracy_runs(args)

    n = args.samples
    X, y, source = load_data(n)
    model = conv.build_cnn(channels=args.channels, hidden=args.hidden, seed=0)
    timers = Timers()
    instrument(model, timers)
    print(f"CNN conv {args.channels[0]}-{args.channels[1]}, dense {args.hidden}, "
          f"{model.n_parameters():,} parameters; batch {args.batch_size}; "
          f"{len(X):,} {source}; {os.cpu_count()} CPUs")
    start, cpu_start = time.perf_counter(), time.process_time()
    fit(model, X, y, epochs=1, batch_size=args.batch_size, lr=1e-3, seed=0, progress=False)
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start

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
    print(f"CPU time per epoch: {cpu * scale:.1f} s (less than the wall time when other "
          "processes share the cores; more with several BLAS threads)")
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
