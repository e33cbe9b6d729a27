"""Chapter 8's Kuzushiji-MNIST MLP recipe for several seeds: validation and test accuracy.

    python benchmarks/kmnist_mlp_recipe.py --seeds 0 1 2       # about 5 min a seed, 2 cores

The recipe is the one of book/08_deep_networks.ipynb (tests/test_chapter_recipes.py checks
that the constants agree): 784-1024-1024-10, every hidden layer Dense -> BatchNorm -> ReLU
-> Dropout(0.3), Adam with the rate decaying along a cosine from 4e-3 over 30 epochs,
batches of 512, random shifts of up to 2 pixels, trained on the 50,000 images of the fit
split (the validation split, a sixth of the training set, drawn with seed 0 as in the
chapter). The seed sets the weights, the dropout masks, the shuffles and the shifts.
Needs the dataset (NNLIB_DATA or the default data directory, downloaded if missing).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402

import nnlib  # noqa: E402
from nnlib.augmentation import RandomShift  # noqa: E402
from nnlib.datasets import load_kmnist  # noqa: E402

HIDDEN = (1024, 1024)
DROPOUT = 0.3
LR = 4e-3
EPOCHS = 30
BATCH = 512
MAX_SHIFT = 2
SPLIT_SEED = 0


def recipe_mlp(seed):
    """Dense -> BatchNorm -> ReLU -> Dropout per hidden layer, He initialisation."""
    rng = np.random.default_rng(seed)
    layers, n_in = [], 784
    for width in HIDDEN:
        layers += [nnlib.Dense(n_in, width, seed=rng), nnlib.BatchNorm(width), nnlib.ReLU(),
                   nnlib.Dropout(DROPOUT, seed=rng)]
        n_in = width
    return nnlib.Sequential(*layers, nnlib.Dense(n_in, 10, seed=rng))


def train_recipe(X, y, seed, validation_data=None, progress=False):
    model = recipe_mlp(seed)
    history = nnlib.fit(model, X, y, optimizer=nnlib.Adam(model.parameters(), lr=LR),
                        schedule=nnlib.CosineDecay(LR, EPOCHS), epochs=EPOCHS,
                        batch_size=BATCH, augment=RandomShift(MAX_SHIFT),
                        validation_data=validation_data, seed=seed, progress=progress)
    return model, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    X_all, y_all, X_test, y_test = load_kmnist(flatten=True, progress=False)
    X_fit, X_val, y_fit, y_val = nnlib.train_val_split(X_all, y_all, val_fraction=1 / 6,
                                                       seed=SPLIT_SEED)
    tests = []
    for seed in args.seeds:
        start = time.perf_counter()
        model, history = train_recipe(X_fit, y_fit, seed, validation_data=(X_val, y_val))
        test_acc = nnlib.evaluate(model, X_test, y_test)[1]
        tests.append(test_acc)
        print(f"seed {seed}: validation {history.val_acc[-1]:.4f}, test {test_acc:.4f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"test accuracy: mean {np.mean(tests):.4f} over seeds {args.seeds}, "
          f"min {min(tests):.4f}, max {max(tests):.4f}")


if __name__ == "__main__":
    main()
