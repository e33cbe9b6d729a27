"""Saving and loading: the path given is the path written, saves are atomic, loads are
all-or-nothing, and every load error names the file."""

import os

import numpy as np
import pytest

import nnlib
from nnlib import load_parameters, save_parameters
from nnlib.core import Module, Parameter


def model(seed=0):
    return nnlib.build_mlp(4, [3], 2, seed=seed)


def values(m):
    return [p.value.copy() for p in m.parameters()]


@pytest.mark.parametrize("name", ["w.npz", "w.params", "weights"])
def test_the_path_given_is_the_path_written_and_loaded(tmp_path, name):
    a, b = model(0), model(1)
    path = tmp_path / name
    save_parameters(a, path)
    assert sorted(os.listdir(tmp_path)) == [name]          # no w.params.npz, no temp file
    load_parameters(b, path)
    for x, y in zip(values(a), values(b)):
        np.testing.assert_array_equal(x, y)


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    save_parameters(model(0), path)
    good = path.read_bytes()

    def disk_full(fh, **arrays):
        fh.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_parameters(model(1), path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["w.npz"]                # the temporary file is removed


def test_save_into_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_parameters(model(), tmp_path / "nope" / "w.npz")


class TwoSameNames(Module):
    def __init__(self):
        self.W = Parameter(np.zeros(2), "W")
        self.V = Parameter(np.ones(2), "W")


def test_two_parameters_with_one_name_are_refused_not_lost(tmp_path):
    with pytest.raises(ValueError, match="both named 'W'"):
        save_parameters(TwoSameNames(), tmp_path / "w.npz")
    assert not os.listdir(tmp_path)


class WithState(Module):
    state_names = ("running_mean",)

    def __init__(self):
        self.W = Parameter(np.zeros((2, 2)), "W")
        self.running_mean = np.zeros(2)


def test_state_is_saved_and_loaded_with_the_parameters(tmp_path):
    a = nnlib.Sequential(WithState())
    a[0].W.value[...] = 3.0
    a[0].running_mean[...] = [0.5, -1.0]
    assert [n for n, _ in a.named_state()] == ["0.running_mean"]
    save_parameters(a, tmp_path / "m.npz")
    b = nnlib.Sequential(WithState())
    load_parameters(b, tmp_path / "m.npz")
    np.testing.assert_array_equal(b[0].running_mean, [0.5, -1.0])
    np.testing.assert_array_equal(b[0].W.value, 3.0)


def _bad_files(tmp_path):
    good = tmp_path / "good.npz"
    save_parameters(model(), good)
    data = good.read_bytes()
    files = {"truncated": data[: len(data) // 2], "corrupted": b"PK" + bytes(200),
             "empty": b"", "text": b"hello, not numpy"}
    out = {}
    for name, content in files.items():
        out[name] = tmp_path / f"{name}.npz"
        out[name].write_bytes(content)
    out["npy"] = tmp_path / "single.npy"
    np.save(out["npy"], np.zeros(3))
    return out


@pytest.mark.parametrize("kind", ["truncated", "corrupted", "empty", "text", "npy"])
def test_every_unreadable_file_gives_an_error_naming_it(tmp_path, kind):
    path = _bad_files(tmp_path)[kind]
    m = model()
    before = values(m)
    with pytest.raises(ValueError) as info:
        load_parameters(m, path)
    assert str(path) in str(info.value)
    for x, y in zip(values(m), before):
        np.testing.assert_array_equal(x, y)


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no saved model at .*missing.npz"):
        load_parameters(model(), tmp_path / "missing.npz")


@pytest.mark.parametrize("other,words", [
    (lambda: nnlib.build_mlp(4, [5], 2, seed=0), "has shape"),
    (lambda: nnlib.build_mlp(4, [3, 3], 2, seed=0), "does not fit this model"),
])
def test_a_load_that_does_not_fit_changes_nothing(tmp_path, other, words):
    save_parameters(model(), tmp_path / "w.npz")
    m = other()
    before = values(m)
    with pytest.raises(ValueError, match=words) as info:
        load_parameters(m, tmp_path / "w.npz")
    assert "w.npz" in str(info.value)
    for x, y in zip(values(m), before):
        np.testing.assert_array_equal(x, y)
