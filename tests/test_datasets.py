"""Tests of nnlib.datasets: downloads against a local HTTP server, the real files, toys.

No test touches the real network: an autouse fixture points NNLIB_MIRRORS at a closed
port on 127.0.0.1 and the per-user cache at a temporary folder; the download tests serve
small IDX/npz files from a ThreadingHTTPServer on 127.0.0.1 started here.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import socket
import struct
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from nnlib.datasets import (
    FILES,
    KMNIST_CLASSES,
    MNIST_CLASSES,
    DatasetNotFoundError,
    clear_memory_cache,
    fetch_file,
    load_kmnist,
    load_mnist,
    make_blobs_separable,
    make_circles,
    make_moons,
    make_spiral,
    parse_idx,
    read_npz,
)
from nnlib.datasets import files as files_mod
from nnlib.datasets.__main__ import main as cli_main
from nnlib.datasets.files import FORMATS, RemoteFile

NET = dict(progress=False, timeout=5.0, retries=1, backoff=0.0)  # fast failures in tests
IMG, LAB = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"


# --- Small valid files and a local server ----------------------------------------------
def idx_gz(array: np.ndarray) -> bytes:
    """Gzip-compressed IDX bytes of a uint8 array (what the official files contain)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def npz_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, array)  # one array under the key arr_0, like KMNIST
    return buf.getvalue()


def closed_port() -> int:
    """A local port nothing listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Never the real network, never the real cache, no proxy for 127.0.0.1."""
    monkeypatch.setenv("NNLIB_MIRRORS", f"http://127.0.0.1:{closed_port()}/")
    monkeypatch.setenv("NNLIB_CACHE", str(tmp_path / "cache"))
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "*")
    clear_memory_cache()
    yield
    clear_memory_cache()


@pytest.fixture
def tiny(monkeypatch):
    """Small MNIST-like files registered in FILES (size and SHA-256 computed here).

    Test images: 5 of 28x28, labels 0..4; train images: 10, labels 0..9. The KMNIST npz
    files hold the same arrays. NNLIB_DATA is unset so that only test folders are searched.
    """
    monkeypatch.delenv("NNLIB_DATA", raising=False)
    rng = np.random.default_rng(0)
    arrays = {"train": (rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.arange(10)),
              "test": (rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), np.arange(5))}
    contents = {}
    for dataset, fmts in FORMATS.items():
        for fmt, names in fmts.items():
            parts = [*arrays["train"], *arrays["test"]]
            for name, array in zip(names, parts):
                data = npz_bytes(array.astype(np.uint8)) if fmt == "npz" else idx_gz(array)
                contents[f"{dataset}/{name}"] = data
                monkeypatch.setitem(FILES[dataset], name, RemoteFile(
                    hashlib.sha256(data).hexdigest(), len(data), ("http://127.0.0.1:9/",)))
    return contents, arrays


class Handler(BaseHTTPRequestHandler):
    """``/<mode>/<dataset>/<file>``: mode good, 404, 500, html, htmlsniff, wrong, trunc."""

    def do_GET(self):
        mode, _, key = self.path.lstrip("/").partition("/")
        self.server.hits.append(mode)
        body = self.server.contents.get(key)
        if mode in ("404", "500") or body is None:
            self.send_error(404 if mode != "500" else 500)
            return
        ctype = "application/octet-stream"
        if mode == "html":
            body, ctype = b"<!DOCTYPE html><html><body>Forbidden</body></html>", "text/html"
        elif mode == "htmlsniff":  # an error page that claims to be binary, exactly sized
            page = b"<html><body>Error</body></html>"
            body = (page + b" " * len(body))[:len(body)]
        elif mode == "wrong":  # same size, different bytes
            body = bytes(b ^ 0xFF for b in body)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "trunc":  # promise the whole file, send half, hang up
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server(tiny):
    contents, _ = tiny
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.contents, httpd.hits = contents, []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd, (lambda *modes: [f"{base}{m}/" for m in modes])
    httpd.shutdown()
    httpd.server_close()


def files_in(folder: Path) -> list[str]:
    """Every file (hidden temporaries included) under a folder."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# --- Downloads --------------------------------------------------------------------------
def test_fresh_download_loads(server, tiny, tmp_path):
    httpd, urls = server
    data = load_mnist(mirrors=urls("good"), **NET)
    _, arrays = tiny
    X_train, y_train, X_test, y_test = data
    np.testing.assert_array_equal(X_test, arrays["test"][0] / np.float32(255))
    assert X_train.shape == (10, 28, 28) and X_train.dtype == np.float32
    assert y_train.dtype == np.int64 and list(y_test) == [0, 1, 2, 3, 4]
    assert files_in(tmp_path / "cache") == sorted(f"mnist/{n}" for n in FORMATS["mnist"]["idx"])
    assert httpd.hits == ["good"] * 4
    load_mnist(mirrors=urls("good"), **NET)  # second time: from the cache, no request
    assert httpd.hits == ["good"] * 4


@pytest.mark.parametrize("status", ["404", "500"])
def test_failing_first_mirror_falls_over(server, status, tmp_path):
    httpd, urls = server
    path = fetch_file("mnist", LAB, mirrors=urls(status, "good"), **NET)
    assert path == tmp_path / "cache" / "mnist" / LAB
    # 404 is final; 500 is retried (retries=1) before the next mirror is tried
    assert httpd.hits == ([status] if status == "404" else [status, status]) + ["good"]


def test_wrong_bytes_rejected_and_nothing_left(server, tmp_path):
    _, urls = server
    with pytest.raises(DatasetNotFoundError, match="SHA-256") as err:
        fetch_file("mnist", IMG, mirrors=urls("wrong"), **NET)
    assert "wrong bytes" in str(err.value)
    assert files_in(tmp_path / "cache") == []


def test_truncated_download_leaves_no_file(server, tmp_path):
    httpd, urls = server
    with pytest.raises(DatasetNotFoundError, match="broke off|ended after"):
        fetch_file("mnist", IMG, mirrors=urls("trunc"), **NET)
    assert httpd.hits == ["trunc", "trunc"]  # a cut-off transfer is worth one retry
    assert files_in(tmp_path / "cache") == []
    assert fetch_file("mnist", IMG, mirrors=urls("trunc", "good"), **NET).is_file()


@pytest.mark.parametrize("mode", ["html", "htmlsniff"])
def test_html_page_with_status_200_rejected(server, mode, tmp_path):
    _, urls = server
    with pytest.raises(DatasetNotFoundError, match="HTML page"):
        fetch_file("mnist", IMG, mirrors=urls(mode), **NET)
    assert files_in(tmp_path / "cache") == []


def test_corrupted_cached_file_is_fetched_again(server, tmp_path):
    httpd, urls = server
    path = fetch_file("mnist", IMG, mirrors=urls("good"), **NET)
    good = path.read_bytes()
    path.write_bytes(good[:-10] + b"0123456789")  # same size, wrong bytes
    with pytest.warns(UserWarning, match="corrupt"):
        again = fetch_file("mnist", IMG, mirrors=urls("good"), **NET)
    assert again == path and path.read_bytes() == good
    assert httpd.hits == ["good", "good"]


def test_search_order_data_home_then_env_then_cache(tiny, tmp_path, monkeypatch):
    contents, _ = tiny
    home, env, cache = tmp_path / "home", tmp_path / "env", tmp_path / "cache"
    for root in (home, env, cache):
        (root / "mnist").mkdir(parents=True)
        (root / "mnist" / LAB).write_bytes(contents[f"mnist/{LAB}"])
    monkeypatch.setenv("NNLIB_DATA", str(env))
    assert fetch_file("mnist", LAB, home, download=False) == home / "mnist" / LAB
    assert fetch_file("mnist", LAB, download=False) == env / "mnist" / LAB
    (env / "mnist" / LAB).write_bytes(b"not the file")  # a bad copy is skipped, with a warning
    with pytest.warns(UserWarning, match="SHA-256"):
        assert fetch_file("mnist", LAB, download=False) == cache / "mnist" / LAB


def test_data_home_receives_downloads_and_env_mirrors(server, tmp_path, monkeypatch):
    _, urls = server
    monkeypatch.setenv("NNLIB_MIRRORS", " , ".join(urls("404", "good")))
    path = fetch_file("mnist", LAB, tmp_path / "lab", **NET)
    assert path == tmp_path / "lab" / "mnist" / LAB
    assert files_in(tmp_path / "cache") == []


def test_offline_error_names_file_folders_mirrors_and_fix(tiny, tmp_path, monkeypatch):
    env = tmp_path / "shared"
    monkeypatch.setenv("NNLIB_DATA", str(env))
    dead = f"http://127.0.0.1:{closed_port()}/"
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist(tmp_path / "home", mirrors=[dead], **NET)
    msg = str(err.value)
    assert "'train-images-idx3-ubyte.gz'" in msg
    folders = [str(tmp_path / d / "mnist" / "train-images-idx3-ubyte.gz")
               for d in ("home", "shared", "cache")]
    positions = [msg.index(f) for f in folders]
    assert positions == sorted(positions), "folders must be listed in search order"
    assert f"{dead}mnist/train-images-idx3-ubyte.gz: " in msg
    assert "refused" in msg.lower() or "URLError" in msg
    assert "NNLIB_DATA=/path/to/folder containing mnist/ and kmnist/" in msg
    assert "python -m nnlib.datasets download mnist" in msg
    assert files_in(tmp_path) == []  # nothing written anywhere

    with pytest.raises(DatasetNotFoundError, match=r"download=False") as err:
        load_kmnist(download=False)
    assert "NNLIB_DATA: not set" not in str(err.value)  # it is set here


def test_offline_error_without_nnlib_data(tiny):
    with pytest.raises(DatasetNotFoundError, match="NNLIB_DATA: not set"):
        fetch_file("kmnist", IMG, download=False)


def test_kmnist_npz_and_format_choice(server, tiny, tmp_path):
    _, urls = server
    _, arrays = tiny
    data = load_kmnist(tmp_path / "h", file_format="npz", scale=False, flatten=True,
                       mirrors=urls("good"), **NET)
    assert data.X_train.shape == (10, 784) and data.X_train.dtype == np.uint8
    assert data.class_names == KMNIST_CLASSES
    np.testing.assert_array_equal(data.X_test.reshape(5, 28, 28), arrays["test"][0])
    # only the npz files are on disk: the default format finds them, no download needed
    auto = load_kmnist(tmp_path / "h", download=False)
    np.testing.assert_array_equal(auto.y_train, np.arange(10))
    with pytest.raises(ValueError, match="file_format"):
        load_kmnist(file_format="csv")


def test_returned_arrays_are_fresh_and_writable(server, tmp_path):
    _, urls = server
    a = load_mnist(mirrors=urls("good"), scale=False, **NET)
    a.X_train[:] = 0
    a.y_train[:] = 7
    b = load_mnist(mirrors=urls("good"), scale=False, **NET)
    assert b.X_train.any() and list(b.y_train) == list(range(10))
    c = load_mnist(mirrors=urls("good"), dtype=np.float64, flatten=True, **NET)
    assert c.X_train.dtype == np.float64 and c.X_train.shape == (10, 784)
    assert 0 <= c.X_train.min() and c.X_train.max() <= 1
    with pytest.raises(ValueError, match="floating-point"):
        load_mnist(mirrors=urls("good"), dtype=np.int32, **NET)


def test_cli_download_into_data_home(server, tmp_path, capsys):
    _, urls = server
    home = tmp_path / "lab"
    code = cli_main(["download", "mnist", "kmnist", "--data-home", str(home), "--mirror",
                     urls("good")[0], "--no-progress", "--retries", "0"])
    assert code == 0
    assert len(files_in(home)) == 8 and capsys.readouterr().out.count("ok ") == 8
    code = cli_main(["download", "mnist", "--data-home", str(tmp_path / "x"), "--mirror",
                     urls("404")[0], "--no-progress"])
    assert code == 1 and "Mirrors tried" in capsys.readouterr().err


def test_cli_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "nnlib.datasets", "download", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--data-home" in out.stdout


# --- Decoding ---------------------------------------------------------------------------
def test_parse_idx_round_trip_and_errors():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(gzip.decompress(idx_gz(a))), a)
    with pytest.raises(ValueError, match="bad magic number 3c21444f"):
        parse_idx(b"<!DOCTYPE html>")
    with pytest.raises(ValueError, match="bad magic number"):
        parse_idx(b"")
    truncated = gzip.decompress(idx_gz(a))[:-1]
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4\)"):
        parse_idx(truncated)


def test_npz_never_unpickles(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        read_npz(path)
    np.savez(path, a=np.zeros(2), b=np.ones(2))
    with pytest.raises(ValueError, match="arr_0"):
        read_npz(path)


def test_registry_is_complete():
    for dataset, fmts in FORMATS.items():
        for names in fmts.values():
            for name in names:
                info = files_mod.FILES[dataset][name]
                assert len(info.sha256) == 64 and info.size > 0 and info.mirrors
                assert all(m.startswith(("http://", "https://")) and m.endswith("/")
                           for m in info.mirrors)
    for dataset in ("mnist", "kmnist"):  # the formats the loaders download
        for name in FORMATS[dataset]["idx"]:
            assert len(files_mod.FILES[dataset][name].mirrors) >= 2, name


def test_cache_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("NNLIB_CACHE", str(tmp_path / "c"))
    assert files_mod.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("NNLIB_CACHE")
    assert files_mod.default_cache_dir().name in ("nnlib", "Cache")


def test_import_is_light():
    code = ("import sys, nnlib, nnlib.datasets; "
            "bad = [m for m in ('sklearn', 'matplotlib', 'tqdm') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- The real files in NNLIB_DATA -------------------------------------------------------
REAL = os.environ.get("NNLIB_DATA")
needs_real = pytest.mark.skipif(
    not REAL or not (Path(REAL) / "mnist").is_dir() or not (Path(REAL) / "kmnist").is_dir(),
    reason="set NNLIB_DATA to the folder holding mnist/ and kmnist/ (CI: ../shared/data)")
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@needs_real
def test_real_mnist():
    X_train, y_train, X_test, y_test = data = load_mnist(download=False, mirrors=[])
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert X_train.dtype == np.float32 and X_train.min() == 0 and X_train.max() == 1
    assert y_train.dtype == np.int64 and y_train.shape == (60000,) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == MNIST_TEST_COUNTS
    assert data.class_names == MNIST_CLASSES
    raw = load_mnist(download=False, mirrors=[], scale=False, flatten=True)
    assert raw.X_test.shape == (10000, 784) and raw.X_test.dtype == np.uint8
    assert raw.X_test.max() == 255


@needs_real
@pytest.mark.parametrize("file_format", ["idx", "npz"])
def test_real_kmnist(file_format):
    X_train, y_train, X_test, y_test = load_kmnist(download=False, mirrors=[], scale=False,
                                                   file_format=file_format)
    assert X_train.shape == (60000, 28, 28) and X_train.dtype == np.uint8
    assert X_test.shape == (10000, 28, 28) and y_test.dtype == np.int64
    assert y_train.min() == 0 and y_train.max() == 9
    assert np.bincount(y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [1000] * 10


# --- Synthetic data ---------------------------------------------------------------------
def test_spiral():
    state = np.random.get_state()[1].copy()
    X, y = make_spiral(n_per_class=50, n_classes=4, noise=0.1, seed=3)
    assert X.shape == (200, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50] * 4
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1 + 1e-6)
    np.testing.assert_array_equal(X, make_spiral(50, 4, 0.1, seed=3)[0])
    np.testing.assert_array_equal(X, make_spiral(50, 4, 0.1, seed=np.random.default_rng(3))[0])
    assert not np.array_equal(X, make_spiral(50, 4, 0.1, seed=4)[0])
    X0, _ = make_spiral(3, 2, noise=0.0)  # no noise: the cs231n formula exactly
    t = np.linspace(4, 8, 3)
    np.testing.assert_allclose(X0[3:], np.c_[np.linspace(0, 1, 3) * np.sin(t),
                                              np.linspace(0, 1, 3) * np.cos(t)], atol=1e-6)
    assert np.array_equal(state, np.random.get_state()[1]), "global NumPy state was used"


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_per_class=0), "n_per_class"), (dict(n_classes=1), "n_classes"),
    (dict(noise=-0.1), "noise"),
])
def test_spiral_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_spiral(**kwargs)


def test_circles_and_moons():
    pytest.importorskip("sklearn")
    state = np.random.get_state()[1].copy()
    for make in (make_circles, make_moons):
        X, y = make(n_samples=101, noise=0.05, seed=0)
        assert X.shape == (101, 2) and X.dtype == np.float32 and y.dtype == np.int64
        assert set(y.tolist()) == {0, 1}
        np.testing.assert_array_equal(X, make(n_samples=101, noise=0.05, seed=0)[0])
        make(n_samples=10, seed=None)
        make(n_samples=10, seed=np.random.default_rng(1))
    X, y = make_circles(400, noise=0.0, factor=0.3, seed=1)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 1], 0.3, rtol=1e-5)
    assert np.array_equal(state, np.random.get_state()[1]), "global NumPy state was used"
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=1.0)
    with pytest.raises(ValueError, match="n_samples"):
        make_moons(n_samples=1)


def test_blobs_separable_with_margin():
    state = np.random.get_state()[1].copy()
    X, y, w, b = make_blobs_separable(301, margin=0.8, seed=5, return_boundary=True)
    assert X.shape == (301, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [150, 151]
    signed = X.astype(np.float64) @ w + b
    assert np.all((signed > 0) == (y == 1))
    assert np.abs(signed).min() >= 0.4 - 1e-5
    X2, y2 = make_blobs_separable(301, margin=0.8, seed=5)
    np.testing.assert_array_equal(X, X2)
    assert np.array_equal(state, np.random.get_state()[1]), "global NumPy state was used"
    with pytest.raises(ValueError, match="margin"):
        make_blobs_separable(margin=0)
    with pytest.raises(TypeError, match="seed"):
        make_blobs_separable(seed="x")
