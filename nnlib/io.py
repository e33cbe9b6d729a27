"""Saving and loading a model's parameters as ``.npz`` (plain arrays, never pickle).

The file holds every parameter under its name (``"0.W"``, ``"0.b"``, ...) and every piece
of non-trained state (:attr:`nnlib.core.Module.state_names`) under ``"state:<name>"``.
"""

from __future__ import annotations

import os
import tempfile
import zipfile

import numpy as np

from .core import Module

STATE = "state:"


def _arrays(model: Module) -> dict:
    """Every array to save, by name; two arrays under one name are an error."""
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlib Module, got {type(model).__name__}")
    arrays: dict = {}
    items = [(n, p.value) for n, p in model.named_parameters()]
    items += [(STATE + n, a) for n, a in model.named_state()]
    for name, value in items:
        if name in arrays:
            raise ValueError(f"two arrays of the model are both named {name!r}, so one would be "
                             "lost on save; give the Parameters of one module different names")
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be an ndarray to be saved, got {type(value).__name__}")
        arrays[name] = value
    return arrays


def _as_path(path) -> str:
    """``path`` as a str; a clear ``TypeError`` for None, a number, bytes..."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or os.PathLike), got {path!r}")
    return os.fspath(path)


def save_parameters(model: Module, path) -> None:
    """Write the parameters and state of ``model`` to ``path``, exactly that path.

    The file is written to a temporary file in the same folder, then renamed over ``path``
    (atomic on one file system): a save that fails half-way (a full disk) leaves any earlier
    file at ``path`` as it was. NumPy's ``savez`` would add ``.npz`` to a path without it;
    here ``path`` is the file written, whatever its suffix.
    """
    arrays = _arrays(model)
    path = _as_path(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_parameters(model: Module, path) -> Module:
    """Load what :func:`save_parameters` wrote into ``model`` (the same architecture).

    All or nothing: every name, shape and dtype kind is checked before any array of the
    model changes. Every error names the file. Files are read with ``allow_pickle=False``,
    so a file cannot run code.
    """
    expected = _arrays(model)
    path = _as_path(path)
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            stored = None
        else:
            with data:
                stored = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved model at {path}") from None
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable model file (an .npz written by "
                         f"save_parameters): {type(exc).__name__}: {exc}") from None
    if stored is None:
        raise ValueError(f"{path} holds a single array (.npy), not a saved model (an .npz "
                         "written by save_parameters)")
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    if missing or extra:
        raise ValueError(f"the file {path} does not fit this model: missing {missing}, "
                         f"unexpected {extra}")
    for name, value in expected.items():
        if stored[name].shape != value.shape:
            raise ValueError(f"{path}: {name} has shape {stored[name].shape} in the file, "
                             f"the model expects {value.shape}")
        if stored[name].dtype.kind not in "fiub" or (
                stored[name].dtype.kind != "f" and value.dtype.kind == "f"):
            raise ValueError(f"{path}: {name} has dtype {stored[name].dtype} in the file, "
                             f"the model expects {value.dtype}")
    for name, value in expected.items():
        value[...] = stored[name]
    return model
