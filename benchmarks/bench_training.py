"""Speed of nnlib's training loop against scikit-learn and against the matrix-product floor.

For MNIST-shaped random data (60,000 x 784 float32, 10 classes), batch 128, Adam, ReLU:

* ``nnlib``   — wall time of ``nnlib.fit(..., epochs=1)`` (one epoch, everything included);
* ``sklearn`` — ``MLPClassifier(solver="adam", batch_size=128, alpha=0)`` trained one epoch
  per call (``max_iter=1, warm_start=True``), on the same data and architecture;
* ``floor``   — only the matrix products one epoch needs: per mini-batch, the forward
  products, the weight gradients ``X^T G`` and the input gradients ``G W^T`` of every layer
  but the first (nothing else: no activation, loss or optimizer);
* ``numpy``   — the same training epoch as nnlib's written as one bare NumPy loop: no
  layers, no checks, no bookkeeping, and Adam in its cheapest exact form (10 element-wise
  passes over each parameter array instead of nnlib's 13, see :func:`numpy_epoch`). It is
  what any NumPy implementation must spend, so ``numpy/floor`` is the best ratio NumPy can
  reach on this machine, and ``nnlib/numpy`` is what the library's structure costs.

* ``torch``   — the same training in PyTorch on the CPU (``nn.Sequential`` of ``Linear`` and
  ``ReLU``, ``cross_entropy``, ``torch.optim.Adam``, the usual loop with ``loss.item()`` per
  step), when PyTorch is installed (``pip install "torch==2.13.0+cpu"``); the project does
  not depend on it, and without it the column is left out.

The methods are **interleaved** epoch by epoch, so a noisy machine slows all of them alike;
the script reports the minimum and the median over the epochs, and the ratios of the
medians. Then it measures each one's peak memory over a full run in a fresh process (the
peak resident set while training: the peak is reset after making the data, through
``/proc/self/clear_refs`` on Linux), and the time of ``import nnlib``. Everything runs with 1 and with 2 BLAS threads
(threadpoolctl).

Usage::

    python benchmarks/bench_training.py                 # both architectures, 1 and 2 threads
    python benchmarks/bench_training.py --epochs 3 --threads 2 --arch 784-256-10
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

N, D, K, BATCH = 60_000, 784, 10, 128


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((N, D), dtype=np.float32)
    y = rng.integers(0, K, N)
    return X, y


def floor_epoch(X, weights):
    """The bare matrix products of one epoch (see the module docstring)."""
    start = time.perf_counter()
    for s in range(0, len(X), BATCH):
        a = X[s:s + BATCH]
        acts = [a]
        for W in weights:                       # forward: A_{l} = A_{l-1} W_l
            a = a @ W
            acts.append(a)
        g = a
        for layer in range(len(weights) - 1, -1, -1):
            _ = acts[layer].T @ g               # dW_l = A_{l-1}^T G_l
            if layer > 0:
                g = g @ weights[layer].T        # G_{l-1} = G_l W_l^T (not for the input)
    return time.perf_counter() - start


class NumpyMLP:
    """State of the bare NumPy reference: a ReLU MLP, its gradients and Adam's moments."""

    def __init__(self, sizes, seed=0, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        rng = np.random.default_rng(seed)
        self.W = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32)
                  for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(b, np.float32) for b in sizes[1:]]
        self.params = [p for pair in zip(self.W, self.b) for p in pair]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.M = [np.zeros_like(p) for p in self.params]      # m / (1 - beta1)
        self.V = [np.zeros_like(p) for p in self.params]      # v / (1 - beta2)
        self.tmp = [np.empty_like(p) for p in self.params]
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0

    def adam_step(self):
        """Adam with the scalars folded together: per array 2 + 3 + 5 passes.

        With M = m/(1-b1) and V = v/(1-b2) (so M <- b1 M + g, V <- b2 V + g^2), the step
        eta m_hat / (sqrt(v_hat) + eps) equals a_t M / (sqrt(V) + e_t), with
        k = sqrt(c2 / (1-b2)), a_t = eta (1-b1) k / c1 and e_t = eps k.
        """
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        k = math.sqrt(c2 / (1 - b2))          # a Python float: float32 arrays stay float32
        a_t, e_t = self.lr * (1 - b1) * k / c1, self.eps * k
        for p, g, M, V, tmp in zip(self.params, self.grads, self.M, self.V, self.tmp):
            M *= b1
            M += g
            np.multiply(g, g, out=tmp)
            V *= b2
            V += tmp
            np.sqrt(V, out=tmp)
            tmp += e_t
            np.divide(M, tmp, out=tmp)
            tmp *= a_t
            p -= tmp
        if self.t % 128 == 0:                   # keep the moments out of subnormal floats
            for a in self.M + self.V:
                a[np.abs(a) < 1e-28] = 0


def numpy_epoch(X, y, net, seed):
    """One training epoch of ``net`` (a :class:`NumpyMLP`) in bare NumPy."""
    start = time.perf_counter()
    order = np.random.default_rng(seed).permutation(len(X))
    n_layers = len(net.W)
    for s in range(0, len(X), BATCH):
        idx = order[s:s + BATCH]
        a, yb, n = X[idx], y[idx], len(idx)
        acts, zs = [a], []
        for layer, (W, b) in enumerate(zip(net.W, net.b)):
            z = a @ W
            z += b
            zs.append(z)
            a = np.maximum(z, 0) if layer < n_layers - 1 else z
            acts.append(a)
        z = a - a.max(axis=1, keepdims=True)                  # softmax cross-entropy
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        _ = float(np.log(total).mean() - z[np.arange(n), yb].mean())
        e /= total
        e[np.arange(n), yb] -= 1
        e /= n
        g = e
        for layer in range(n_layers - 1, -1, -1):
            np.matmul(acts[layer].T, g, out=net.grads[2 * layer])
            g.sum(axis=0, out=net.grads[2 * layer + 1])
            if layer > 0:
                g = g @ net.W[layer].T
                g *= zs[layer - 1] > 0                        # ReLU'
        net.adam_step()
    return time.perf_counter() - start


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class TorchRun:
    """The same MLP, loss, optimizer and batches in PyTorch (CPU, float32)."""

    def __init__(self, sizes, X, y):
        import torch

        torch.manual_seed(0)
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        self.torch = torch
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def epoch(self, n=None, seed=0):
        torch = self.torch
        F = torch.nn.functional
        n = n or len(self.X)
        start = time.perf_counter()
        order = torch.from_numpy(np.random.default_rng(seed).permutation(n))
        total = 0.0
        for idx in order.split(BATCH):
            loss = F.cross_entropy(self.model(self.X[idx]), self.y[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            total += loss.item() * len(idx)
        return time.perf_counter() - start


def run_interleaved(sizes, epochs, threads, X, y):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    import nnlib

    hidden = sizes[1:-1]
    rng = np.random.default_rng(1)
    weights = [(rng.standard_normal((a, b)) * 0.05).astype(np.float32)
               for a, b in zip(sizes[:-1], sizes[1:])]
    model = nnlib.build_mlp(sizes[0], hidden, sizes[-1], seed=0)
    opt = nnlib.Adam(model.parameters(), lr=1e-3)
    sk = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", batch_size=BATCH, alpha=0.0,
                       learning_rate_init=1e-3, max_iter=1, warm_start=True, shuffle=True,
                       random_state=0, tol=0, n_iter_no_change=10 ** 9)
    net = NumpyMLP(sizes)
    times = {"floor": [], "numpy": [], "nnlib": [], "sklearn": []}
    tr = None
    if torch_available():
        import torch
        torch.set_num_threads(threads)
        tr = TorchRun(sizes, X, y)
        times["torch"] = []
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # one warm-up round (page faults, BLAS buffers, sklearn's first-call set-up)
        floor_epoch(X[:10_000], weights)
        numpy_epoch(X[:10_000], y[:10_000], net, seed=0)
        nnlib.fit(model, X[:10_000], y[:10_000], optimizer=opt, epochs=1, progress=False)
        sk.fit(X, y)
        if tr is not None:
            tr.epoch(10_000)
        for epoch in range(epochs):
            times["floor"].append(floor_epoch(X, weights))
            times["numpy"].append(numpy_epoch(X, y, net, seed=epoch))
            t = time.perf_counter()
            nnlib.fit(model, X, y, optimizer=opt, epochs=1, progress=False, seed=epoch)
            times["nnlib"].append(time.perf_counter() - t)
            t = time.perf_counter()
            sk.fit(X, y)
            times["sklearn"].append(time.perf_counter() - t)
            if tr is not None:
                times["torch"].append(tr.epoch(seed=epoch))
    dtype = sk.coefs_[0].dtype
    return times, str(dtype)


PEAK_SNIPPET = r"""
import gc, resource, sys, warnings
import numpy as np
from threadpoolctl import threadpool_limits
sys.path.insert(0, {bench_dir!r})
from bench_training import make_data


def status_mb(key):                      # VmRSS (now) or VmHWM (peak) from /proc, in MB
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024


which, sizes, epochs, threads = {which!r}, {sizes!r}, {epochs}, {threads}
X, y = make_data()
gc.collect()
try:                                     # Linux: reset the peak, so that it is training's own
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    base, reset = status_mb("VmRSS"), True
except OSError:                          # elsewhere the peak includes making the data
    base, reset = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, False
with threadpool_limits(threads), warnings.catch_warnings():
    warnings.simplefilter("ignore")
    if which == "nnlib":
        import nnlib
        model = nnlib.build_mlp(sizes[0], sizes[1:-1], sizes[-1], seed=0)
        nnlib.fit(model, X, y, epochs=epochs, batch_size=128, progress=False)
    else:
        from sklearn.neural_network import MLPClassifier
        MLPClassifier(sizes[1:-1], solver="adam", batch_size=128, alpha=0.0, max_iter=epochs,
                      random_state=0, tol=0, n_iter_no_change=10**9).fit(X, y)
peak = status_mb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(base, peak)
"""


def peak_memory(which, sizes, epochs, threads):
    import os
    code = PEAK_SNIPPET.format(bench_dir=os.path.dirname(os.path.abspath(__file__)),
                               which=which, sizes=sizes, epochs=epochs, threads=threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def import_time(repeats=5):
    code = ("import time, sys; t = time.perf_counter(); import nnlib; "
            "print(time.perf_counter() - t, 'matplotlib' in sys.modules, 'sklearn' in sys.modules)")
    results = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()
        results.append((float(out[0]), out[1] == "True", out[2] == "True"))
    return min(r[0] for r in results), any(r[1] for r in results), any(r[2] for r in results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", nargs="+", default=["784-256-10", "784-512-256-128-10"])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--epochs", type=int, default=5, help="interleaved epochs per method")
    parser.add_argument("--memory-epochs", type=int, default=2)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    X, y = make_data()
    results = []
    print(f"data: {N} x {D} float32, batch {BATCH}, Adam, ReLU; "
          f"{args.epochs} interleaved epochs per method\n")
    has_torch = torch_available()
    header = (f"{'arch':<20}{'thr':>4} | {'floor s/ep':>14} | {'numpy s/ep':>14} | "
              f"{'nnlib s/ep':>14} | {'sklearn s/ep':>14} | "
              + (f"{'torch s/ep':>14} | " if has_torch else "")
              + f"{'sk/nnlib':>8} {'nnlib/floor':>11} {'numpy/floor':>11}"
              + (f" {'nnlib/torch':>11} {'numpy/torch':>11}" if has_torch else ""))
    print(header)
    print("-" * len(header))
    for arch in args.arch:
        sizes = [int(s) for s in arch.split("-")]
        for threads in args.threads:
            times, sk_dtype = run_interleaved(sizes, args.epochs, threads, X, y)
            med = {k: statistics.median(v) for k, v in times.items()}
            low = {k: min(v) for k, v in times.items()}
            row = dict(arch=arch, threads=threads, sklearn_dtype=sk_dtype,
                       median=med, minimum=low, all=times,
                       speedup_vs_sklearn=med["sklearn"] / med["nnlib"],
                       ratio_to_floor=med["nnlib"] / med["floor"],
                       numpy_ratio_to_floor=med["numpy"] / med["floor"])
            if has_torch:
                row["ratio_to_torch"] = med["nnlib"] / med["torch"]
                row["numpy_ratio_to_torch"] = med["numpy"] / med["torch"]
            results.append(row)
            cell = {k: f"{low[k]:.3f} / {med[k]:.3f}" for k in med}
            print(f"{arch:<20}{threads:>4} | {cell['floor']:>14} | {cell['numpy']:>14} | "
                  f"{cell['nnlib']:>14} | {cell['sklearn']:>14} | "
                  + (f"{cell['torch']:>14} | " if has_torch else "")
                  + f"{row['speedup_vs_sklearn']:>7.2f}x {row['ratio_to_floor']:>10.2f}x "
                  f"{row['numpy_ratio_to_floor']:>10.2f}x"
                  + (f" {row['ratio_to_torch']:>10.2f}x {row['numpy_ratio_to_torch']:>10.2f}x"
                     if has_torch else ""), flush=True)
    print("(min / median seconds per epoch; ratios of medians; sklearn trains in "
          f"{results[0]['sklearn_dtype']}"
          + ("" if has_torch else "; PyTorch not installed, so no torch column") + ")\n")

    if not args.no_memory:
        print(f"peak memory while training (resident set of a fresh process, "
              f"{args.memory_epochs} epochs; the data alone is 188 MB):")
        for arch in args.arch:
            sizes = [int(s) for s in arch.split("-")]
            for which in ("nnlib", "sklearn"):
                base, peak = peak_memory(which, sizes, args.memory_epochs, max(args.threads))
                print(f"  {arch:<20} {which:<8} {peak:7.0f} MB (before training, with the "
                      f"data: {base:.0f} MB; training adds {peak - base:.0f} MB)")
                results.append(dict(arch=arch, which=which, peak_mb=peak, base_mb=base))
    seconds, mpl, skl = import_time()
    print(f"\nimport nnlib: {seconds:.3f} s (best of 5); imports matplotlib: {mpl}; "
          f"imports scikit-learn: {skl}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(results=results, import_seconds=seconds), fh, indent=1)


if __name__ == "__main__":
    main()
