"""Saving and loading a model's parameters as ``.npz`` (plain arrays, never pickle)."""

from __future__ import annotations

import numpy as np

from .core import Module


def save_parameters(model: Module, path) -> None:
    """Write every parameter under its name (``"0.W"``, ``"0.b"``, ...) to ``path`` (.npz)."""
    arrays = {name: p.value for name, p in model.named_parameters()}
    np.savez(path, **arrays)


def load_parameters(model: Module, path) -> Module:
    """Load parameters saved by :func:`save_parameters` into ``model`` (same architecture).

    Raises ``ValueError`` if names or shapes do not fit the model. Files are read with
    ``allow_pickle=False``, so a file cannot run code.
    """
    with np.load(path, allow_pickle=False) as data:
        stored = {k: data[k] for k in data.files}
    params = dict(model.named_parameters())
    missing = sorted(set(params) - set(stored))
    extra = sorted(set(stored) - set(params))
    if missing or extra:
        raise ValueError(f"the file {path} does not fit this model: missing {missing}, "
                         f"unexpected {extra}")
    for name, p in params.items():
        if stored[name].shape != p.value.shape:
            raise ValueError(f"parameter {name}: the file has shape {stored[name].shape}, "
                             f"the model expects {p.value.shape}")
    for name, p in params.items():
        p.value[...] = stored[name]
    return model
