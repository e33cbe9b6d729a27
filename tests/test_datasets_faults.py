"""Faults and bad input in nnlib.datasets: every mirror is tried, errors name the problem.

The cases of tests/DATASETS_FAULT_TABLE.md. Downloads go to a ThreadingHTTPServer on
127.0.0.1 (never the real network) whose handler can serve a good file, a 404 or 500, a
truncated body, wrong bytes, a wrong Content-Length, a hang-up or a slow answer; refused
connections use a closed local port. Fixtures and helpers come from tests/test_datasets.py.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import re
import struct
import subprocess
import sys
import threading
import time
import warnings
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import test_datasets as base

from nnlib.datasets import (
    DatasetNotFoundError,
    DownloadDirError,
    fetch_file,
    load_kmnist,
    load_mnist,
    make_blobs_separable,
    make_circles,
    make_moons,
    make_spiral,
    parse_idx,
    read_idx,
    read_npz,
)
from nnlib.datasets import files as files_mod
from nnlib.datasets import images as images_mod
from nnlib.datasets import synthetic as synthetic_mod
from nnlib.datasets.__main__ import download as cli_download
from nnlib.datasets.__main__ import main as cli_main

isolated = base.isolated  # autouse: no real network, a temporary cache, no proxy
tiny = base.tiny  # small MNIST-like files registered in FILES
NET = base.NET
IMG, LAB = base.IMG, base.LAB
SLOW = 1.0  # seconds the "slow" and "stall" modes wait; the client's timeout is shorter
FAST_TIMEOUT = 0.3


class FaultHandler(base.Handler):
    """The modes of ``base.Handler`` plus slow, stall, short, hangup (see ``do_GET``)."""

    def do_GET(self):
        mode, _, key = self.path.lstrip("/").partition("/")
        body = self.server.contents.get(key)
        if mode not in ("slow", "stall", "short", "hangup") or body is None:
            return super().do_GET()
        self.server.hits.append(mode)
        if mode == "hangup":  # close the connection without a word
            self.close_connection = True
            return
        if mode == "slow":  # nothing for longer than the client waits
            time.sleep(SLOW)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) - (1 if mode == "short" else 0)))
        self.end_headers()
        if mode == "stall":  # half the body, then silence
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            time.sleep(SLOW)
            return
        self.wfile.write(body[:-1] if mode == "short" else body)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client that gave up: expected
        pass


@pytest.fixture
def server(tiny):
    contents, _ = tiny
    httpd = QuietServer(("127.0.0.1", 0), FaultHandler)
    httpd.contents, httpd.hits = contents, []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd, (lambda *modes: [f"{base_url}{m}/" for m in modes])
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a loader touches the search folders or the network."""
    def boom(*args, **kwargs):
        raise AssertionError("work was done before the arguments were checked")
    for mod, name in ((files_mod, "find_local"), (files_mod, "_download"),
                      (files_mod, "ensure_writable"), (images_mod, "_all_local"),
                      (synthetic_mod, "_import_sklearn")):
        monkeypatch.setattr(mod, name, boom)


def refused() -> str:
    return f"http://127.0.0.1:{base.closed_port()}/"


# --- One bad mirror never stops the good ones -------------------------------------------
MALFORMED = ["htp:/bad", "not a url", "http://[::1/", "http://127.0.0.1:99999/",
             "http:///no-host/", "ftp//missing-colon/", " http://127.0.0.1/ "]


@pytest.mark.parametrize("bad", MALFORMED)
def test_malformed_mirror_is_skipped_with_a_warning_and_the_next_used(server, bad, tmp_path):
    httpd, urls = server
    with pytest.warns(UserWarning, match="malformed mirror URL"):
        path = fetch_file("mnist", LAB, mirrors=[bad, *urls("good")], **NET)
    assert path == tmp_path / "cache" / "mnist" / LAB
    assert files_mod.sha256_of(path) == files_mod.FILES["mnist"][LAB].sha256
    assert httpd.hits == ["good"]  # the malformed entry was not retried, nor sent anywhere


@pytest.mark.parametrize("bad", ["404", "500", "trunc", "wrong", "html", "htmlsniff",
                                 "short", "hangup", "refused"])
def test_each_failing_mirror_falls_over_to_the_next(server, bad, tmp_path):
    httpd, urls = server
    first = [refused()] if bad == "refused" else urls(bad)
    path = fetch_file("mnist", IMG, mirrors=[*first, *urls("good")], **NET)
    assert files_mod.sha256_of(path) == files_mod.FILES["mnist"][IMG].sha256
    assert httpd.hits[-1] == "good" and httpd.hits.count("good") == 1
    assert base.files_in(tmp_path / "cache") == [f"mnist/{IMG}"]  # no temporary left


@pytest.mark.parametrize("mode, reason", [("slow", "timed out"), ("stall", "broke off")])
def test_timeouts_are_retried_then_the_next_mirror_used(server, mode, reason, tmp_path):
    httpd, urls = server
    net = dict(NET, timeout=FAST_TIMEOUT)  # retries=1: two attempts
    with pytest.raises(DatasetNotFoundError, match=reason):
        fetch_file("mnist", IMG, mirrors=urls(mode), **net)
    assert httpd.hits == [mode, mode]
    assert base.files_in(tmp_path / "cache") == []
    assert fetch_file("mnist", IMG, mirrors=urls(mode, "good"), **net).is_file()


def test_all_mirrors_failing_give_one_error_listing_each_and_why(server, tmp_path):
    httpd, urls = server
    dead = refused()
    mirrors = ["htp:/bad", *urls("404"), dead, *urls("wrong", "trunc", "short", "slow")]
    with pytest.warns(UserWarning, match="htp:/bad"), \
            pytest.raises(DatasetNotFoundError) as err:
        fetch_file("mnist", IMG, mirrors=mirrors, **dict(NET, timeout=FAST_TIMEOUT))
    msg = str(err.value)
    expected = [("htp:/bad", "malformed mirror URL: scheme htp:"),
                (urls("404")[0], "HTTP 404"), (dead, "connection refused"),
                (urls("wrong")[0], "wrong bytes: SHA-256"),
                (urls("trunc")[0], "transfer (broke off|ended) after"),
                (urls("short")[0], "serves"), (urls("slow")[0], "timed out")]
    lines = msg.splitlines()
    start = lines.index("Mirrors tried:")
    for i, (mirror, reason) in enumerate(expected, start + 1):
        assert lines[i].startswith(f"  - {mirror}{'/' if mirror == 'htp:/bad' else ''}"
                                   f"mnist/{IMG}: "), lines[i]
        assert re.search(reason, lines[i]), (reason, lines[i])
    assert "How to fix it" in msg
    assert base.files_in(tmp_path / "cache") == []  # no partial file, no temporary


def test_malformed_entries_in_nnlib_mirrors_do_not_stop_the_download(server, monkeypatch):
    httpd, urls = server
    monkeypatch.setenv("NNLIB_MIRRORS", "htp:/bad, http://[::1/ " + urls("good")[0])
    with pytest.warns(UserWarning, match="malformed") as record:
        assert fetch_file("mnist", LAB, **NET).is_file()
    assert len([w for w in record if "malformed" in str(w.message)]) == 2
    assert httpd.hits == ["good"]


def test_interrupted_download_leaves_no_file(server, tmp_path, monkeypatch):
    _, urls = server
    def interrupt(head):
        raise KeyboardInterrupt
    monkeypatch.setattr(files_mod, "_looks_like_html", interrupt)  # called on the 1st chunk
    with pytest.raises(KeyboardInterrupt):
        fetch_file("mnist", IMG, mirrors=urls("good"), **NET)
    assert base.files_in(tmp_path / "cache") == []


def test_failed_download_keeps_an_old_file_untouched(server, tmp_path):
    """The final path changes only by os.replace of a verified file."""
    _, urls = server
    old = tmp_path / "cache" / "mnist" / IMG
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an old corrupt copy")
    with pytest.warns(UserWarning, match="corrupt"), pytest.raises(DatasetNotFoundError):
        fetch_file("mnist", IMG, mirrors=urls("trunc", "wrong"), **NET)
    assert old.read_bytes() == b"an old corrupt copy"
    assert base.files_in(tmp_path / "cache") == [f"mnist/{IMG}"]


# --- The download folder ----------------------------------------------------------------
def test_cache_under_a_file_names_the_folder_and_the_fix(server, tmp_path, monkeypatch):
    httpd, urls = server
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("NNLIB_CACHE", str(tmp_path / "file" / "cache"))
    with pytest.raises(DownloadDirError) as err:
        fetch_file("mnist", LAB, mirrors=urls("good"), **NET)
    assert isinstance(err.value, PermissionError)
    msg = str(err.value)
    assert str(tmp_path / "file" / "cache" / "mnist") in msg and "NNLIB_CACHE" in msg
    assert "data_home=" in msg and "NNLIB_DATA" in msg
    assert httpd.hits == []  # checked before any network traffic


def test_read_only_cache_gives_a_clear_error(server, tmp_path, monkeypatch):
    """Simulated (the tests may run as root, who can write anywhere)."""
    httpd, urls = server
    real = files_mod.tempfile.mkstemp
    def denied(*args, dir=None, **kwargs):
        if str(dir).startswith(str(tmp_path / "cache")):
            raise PermissionError(13, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)
    monkeypatch.setattr(files_mod.tempfile, "mkstemp", denied)
    with pytest.raises(DownloadDirError, match="Permission denied") as err:
        load_mnist(mirrors=urls("good"), **NET)
    assert f"Cannot save downloads in {tmp_path / 'cache' / 'mnist'}" in str(err.value)
    assert "per-user cache" in str(err.value)
    assert httpd.hits == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write to a read-only folder")
def test_really_read_only_cache(server, tmp_path, monkeypatch):
    _, urls = server
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    monkeypatch.setenv("NNLIB_CACHE", str(ro))
    try:
        with pytest.raises(DownloadDirError, match="NNLIB_CACHE"):
            fetch_file("mnist", LAB, mirrors=urls("good"), **NET)
    finally:
        ro.chmod(0o755)


def test_data_home_that_is_a_file_or_a_folder_in_place_of_the_file(server, tmp_path):
    httpd, urls = server
    home = tmp_path / "home"
    home.write_text("not a folder")
    with pytest.raises(DownloadDirError, match="data_home argument"):
        fetch_file("mnist", LAB, home, mirrors=urls("good"), **NET)
    (tmp_path / "h2" / "mnist" / LAB).mkdir(parents=True)
    with pytest.raises(DownloadDirError, match="exists and is not a file"):
        fetch_file("mnist", LAB, tmp_path / "h2", mirrors=urls("good"), **NET)
    assert httpd.hits == []


def test_unwritable_cache_is_fine_when_nothing_must_be_downloaded(tiny, tmp_path,
                                                                 monkeypatch):
    contents, _ = tiny
    shared = tmp_path / "shared" / "mnist"
    shared.mkdir(parents=True)
    (shared / LAB).write_bytes(contents[f"mnist/{LAB}"])
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("NNLIB_CACHE", str(tmp_path / "file" / "cache"))
    monkeypatch.setenv("NNLIB_DATA", str(tmp_path / "shared"))
    assert fetch_file("mnist", LAB) == shared / LAB


def test_cli_stops_at_once_on_an_unwritable_folder(server, tmp_path, capsys):
    _, urls = server
    (tmp_path / "file").write_text("x")
    code = cli_main(["download", "mnist", "--data-home", str(tmp_path / "file"), "--mirror",
                     urls("good")[0], "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("FAILED") == 1 and "Cannot save downloads" in err


# --- Bad arguments: a clear error before any work ---------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(flatten="no"), TypeError, "flatten must be True or False, got str 'no'"),
    (dict(scale=1), TypeError, "scale must be True or False, got int 1"),
    (dict(download="no"), TypeError, "download must be True or False"),
    (dict(progress=None), TypeError, "progress must be True or False"),
    (dict(dtype=np.int32), ValueError, "dtype must be a floating-point type.*int32"),
    (dict(dtype=np.complex64), ValueError, "dtype must be a floating-point"),
    (dict(dtype="no such type"), TypeError, "dtype must be a floating-point.*'no such type'"),
    (dict(dtype=None), TypeError, "dtype must be a floating-point.*None"),
    (dict(timeout=0), ValueError, r"timeout must be in \(0, 86400\], got 0"),
    (dict(timeout=-1.0), ValueError, "timeout must be in"),
    (dict(timeout=1e300), ValueError, "timeout must be in"),
    (dict(timeout=math.nan), ValueError, "timeout must be finite"),
    (dict(timeout="5"), TypeError, "timeout must be a number, got '5'"),
    (dict(retries=-1), ValueError, "retries must be >= 0, got -1"),
    (dict(retries=1.5), TypeError, "retries must be an integer"),
    (dict(backoff=-1), ValueError, "backoff must be in"),
    (dict(data_home=3), TypeError, "data_home must be None or a folder path.*int 3"),
    (dict(data_home=""), ValueError, "data_home must be a folder path, got an empty string"),
    (dict(data_home=b"/tmp"), TypeError, "data_home must be None or a folder path"),
    (dict(mirrors=42), TypeError, "mirrors must be None, a string of URLs or a list.*int 42"),
    (dict(mirrors=["http://127.0.0.1/", None]), TypeError, r"mirrors\[1\] must be a URL.*None"),
    (dict(mirrors={"a": 1}), TypeError, "mirrors must be None"),
])
@pytest.mark.parametrize("loader", [load_mnist, load_kmnist])
def test_loader_arguments_checked_before_any_work(no_work, loader, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        loader(**kwargs)


@pytest.mark.parametrize("file_format, exc, match", [
    ("csv", ValueError, "unknown file_format 'csv'; expected None, 'idx' or 'npz'"),
    ("IDX", ValueError, "unknown file_format 'IDX'"),
    (1, TypeError, "file_format must be None, 'idx' or 'npz', got int 1"),
])
def test_kmnist_file_format_checked(no_work, file_format, exc, match):
    with pytest.raises(exc, match=match):
        load_kmnist(file_format=file_format)


@pytest.mark.parametrize("args, kwargs, exc, match", [
    (("cifar10", IMG), {}, ValueError, r"unknown dataset 'cifar10'; expected one of \['kmnist', 'mnist'\]"),
    (("MNIST", IMG), {}, ValueError, "unknown dataset 'MNIST'"),
    ((None, IMG), {}, TypeError, "dataset must be a string.*NoneType None"),
    (("mnist", "train.csv"), {}, ValueError, "unknown mnist file 'train.csv'; expected one of"),
    (("mnist", "kmnist-train-imgs.npz"), {}, ValueError, "unknown mnist file"),
    (("mnist", 0), {}, TypeError, "name must be a file name string, got int 0"),
    (("mnist", IMG), dict(download=1), TypeError, "download must be True or False"),
    (("mnist", IMG), dict(mirrors=b"http://x/"), TypeError, "mirrors must be None"),
])
def test_fetch_file_arguments_checked_before_any_work(no_work, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fetch_file(*args, **kwargs)


@pytest.mark.parametrize("args, kwargs, exc, match", [
    ((["cifar"],), {}, ValueError, "unknown dataset 'cifar'"),
    (([],), {}, TypeError, "datasets must be a dataset name or a non-empty list"),
    ((["mnist"],), dict(file_format="zip"), ValueError, "unknown file_format 'zip'"),
    ((["mnist"],), dict(timeout=0), ValueError, "timeout must be in"),
    ((["mnist"],), dict(data_home=""), ValueError, "data_home"),
])
def test_cli_download_arguments_checked_before_any_work(no_work, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cli_download(*args, **kwargs)


@pytest.mark.parametrize("make, kwargs, exc, match", [
    (make_spiral, dict(n_per_class=-5), ValueError, "n_per_class must be >= 1, got -5"),
    (make_spiral, dict(n_per_class=10.0), TypeError, r"n_per_class must be an integer, got 10\.0"),
    (make_spiral, dict(n_per_class=True), TypeError, "n_per_class must be an integer, got True"),
    (make_spiral, dict(n_per_class="100"), TypeError, "n_per_class must be an integer"),
    (make_spiral, dict(n_per_class=10**9), ValueError, "n_per_class must be at most"),
    (make_spiral, dict(n_per_class=10**6, n_classes=1000), ValueError,
     r"n_per_class \* n_classes must be at most"),
    (make_spiral, dict(n_classes=1), ValueError, "n_classes must be >= 2, got 1"),
    (make_spiral, dict(noise="0.1"), TypeError, "noise must be a number, got '0.1'"),
    (make_spiral, dict(noise=math.nan), ValueError, "noise must be finite, got nan"),
    (make_spiral, dict(noise=math.inf), ValueError, "noise must be finite"),
    (make_spiral, dict(noise=-0.1), ValueError, r"noise must be in \[0, inf\], got -0.1"),
    (make_spiral, dict(seed=-1), ValueError, "seed must be a non-negative integer, got -1"),
    (make_spiral, dict(seed=1.5), TypeError, "seed must be an int.*float 1.5"),
    (make_spiral, dict(seed="x"), TypeError, "seed must be an int"),
    (make_spiral, dict(seed=np.random.RandomState(0)), TypeError, "seed must be an int"),
    (make_circles, dict(n_samples=-1), ValueError, "n_samples must be >= 2, got -1"),
    (make_circles, dict(n_samples=np.float64(100)), TypeError, "n_samples must be an integer"),
    (make_circles, dict(noise=-0.1), ValueError, "noise must be in"),
    (make_circles, dict(factor=0), ValueError, r"factor must be in \(0, 1\), got 0"),
    (make_circles, dict(factor=None), TypeError, "factor must be a number, got None"),
    (make_circles, dict(seed=-3), ValueError, "seed must be a non-negative integer"),
    (make_circles, dict(seed=2**40), ValueError, r"seed must be in 0..2\*\*32-1"),
    (make_circles, dict(seed=True), TypeError, "seed must be an int"),
    (make_moons, dict(n_samples="100"), TypeError, "n_samples must be an integer, got '100'"),
    (make_moons, dict(n_samples=0), ValueError, "n_samples must be >= 2, got 0"),
    (make_moons, dict(noise=[0.1]), TypeError, "noise must be a number"),
    (make_blobs_separable, dict(n_samples=1), ValueError, "n_samples must be >= 2, got 1"),
    (make_blobs_separable, dict(spread=0), ValueError, "spread must be in"),
    (make_blobs_separable, dict(margin=-1), ValueError, "margin must be in"),
    (make_blobs_separable, dict(return_boundary="yes"), TypeError,
     "return_boundary must be True or False, got str 'yes'"),
])
def test_synthetic_arguments_checked_before_any_work(no_work, monkeypatch, make, kwargs, exc,
                                                     match):
    def no_rng(seed):
        raise AssertionError("a random generator was made before the checks")
    monkeypatch.setattr(synthetic_mod, "make_rng", no_rng)
    with pytest.raises(exc, match=match):
        make(**kwargs)


def test_sklearn_is_not_imported_for_bad_arguments():
    code = ("import sys\nfrom nnlib.datasets import make_circles\n"
            "try:\n    make_circles(n_samples=-1)\nexcept ValueError:\n    pass\n"
            "assert 'sklearn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: parse_idx("0000 0801"), TypeError, "data must be the bytes of an IDX file, got str"),
    (lambda: parse_idx(np.zeros(8, np.uint8)), TypeError, "got ndarray"),
    (lambda: parse_idx(b"\0\0\x08\x01", source=3), TypeError, "source must be a string"),
    (lambda: read_idx(3), TypeError, "path must be a file path.*int 3"),
    (lambda: read_npz(None), TypeError, "path must be a file path"),
])
def test_decoder_argument_types(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- Corrupt files ----------------------------------------------------------------------
def idx(array: np.ndarray, magic: bytes = b"\0\0\x08") -> bytes:
    return magic + struct.pack(">B", array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


LABELS = np.arange(10, dtype=np.uint8)
CORRUPT_IDX = {
    "truncated gzip": (gzip.compress(idx(LABELS))[:-12], "gzip stream cannot be decompressed"),
    "damaged gzip": (b"\x1f\x8b" + b"\xff" * 40, "gzip stream cannot be decompressed"),
    "wrong magic number": (gzip.compress(idx(LABELS, magic=b"\0\x01\x08")),
                           "bad magic number 00010801"),
    "unknown type code": (gzip.compress(idx(LABELS, magic=b"\0\0\x07")), "bad magic number"),
    "HTML page": (b"<!DOCTYPE html><html>Not found</html>", "bad magic number 3c21444f"),
    "empty file": (b"", r"bad magic number \(empty\)"),
    "too few bytes": (gzip.compress(idx(LABELS)[:-3]), r"shape \(10,\).*but the data has"),
    "too many bytes": (gzip.compress(idx(LABELS) + b"\0"), r"shape \(10,\)"),
    "header cut short": (gzip.compress(b"\0\0\x08\x03\0\0"), "IDX header is cut short"),
}


@pytest.mark.parametrize("case", list(CORRUPT_IDX))
def test_corrupt_idx_file_names_the_file_and_says_delete(tmp_path, case):
    data, match = CORRUPT_IDX[case]
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match) as err:
        read_idx(path)
    assert str(path) in str(err.value) and "delete it" in str(err.value)


def npz_of(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


CORRUPT_NPZ = {
    "truncated archive": (npz_of(arr_0=np.arange(1000))[:-40], "not a readable .npz|corrupt"),
    "damaged member": (npz_of(arr_0=np.arange(1000)).replace(b"PK\x01\x02", b"XX\x01\x02"),
                       "not a readable .npz|corrupt"),
    "garbage": (b"this is not numpy", r"is not an \.npz archive: it starts with b'this i'"),
    "empty": (b"", r"is not an \.npz archive: it starts with b''"),
    "a .npy file": (b"", r"\.npy file"),  # filled in below
    "other keys": (npz_of(a=np.zeros(2)), "expected one array under the key 'arr_0'"),
}


@pytest.mark.parametrize("case", list(CORRUPT_NPZ))
def test_corrupt_npz_file_names_the_file(tmp_path, case):
    data, match = CORRUPT_NPZ[case]
    path = tmp_path / "kmnist-test-labels.npz"
    if case == "a .npy file":
        np.save(tmp_path / "x.npy", np.zeros(3))
        data = (tmp_path / "x.npy").read_bytes()
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match) as err:
        read_npz(path)
    assert str(path) in str(err.value)
    # ... and the file is closed (np.load leaves a damaged archive it opened itself open)
    if Path("/proc/self/fd").is_dir():
        still_open = [os.readlink(fd) for fd in Path("/proc/self/fd").iterdir()
                      if fd.is_symlink() and os.path.exists(os.readlink(fd))]
        assert str(path) not in still_open


@pytest.mark.parametrize("damage", ["truncate", "wrong bytes", "empty", "wrong magic"])
def test_corrupt_cached_file_offline_names_it_and_says_delete(tiny, tmp_path, damage):
    contents, _ = tiny
    good = contents[f"mnist/{LAB}"]
    bad = {"truncate": good[:len(good) // 2], "empty": b"",
           "wrong bytes": good[:-4] + b"XXXX",
           "wrong magic": b"\x1f\x8c" + good[2:]}[damage]
    path = tmp_path / "cache" / "mnist" / LAB
    path.parent.mkdir(parents=True)
    path.write_bytes(bad)
    with pytest.warns(UserWarning, match="corrupt"), \
            pytest.raises(DatasetNotFoundError) as err:
        fetch_file("mnist", LAB, download=False)
    msg = str(err.value)
    assert f"{path} (per-user cache) is corrupt or not the official file" in msg
    assert "delete it or replace it with a good copy" in msg
    assert ("bytes, expected" in msg) if len(bad) != len(good) else ("SHA-256" in msg)
    assert path.read_bytes() == bad  # never deleted behind the user's back


def test_corrupt_cached_file_and_failing_mirrors_lists_both(server, tiny, tmp_path):
    _, urls = server
    path = tmp_path / "cache" / "mnist" / LAB
    path.parent.mkdir(parents=True)
    path.write_bytes(b"junk")
    with pytest.warns(UserWarning), pytest.raises(DatasetNotFoundError) as err:
        fetch_file("mnist", LAB, mirrors=urls("404", "wrong"), **NET)
    msg = str(err.value)
    assert "is corrupt" in msg and "HTTP 404" in msg and "wrong bytes" in msg


def test_a_real_file_cut_short_is_reported(tmp_path):
    real = os.environ.get("NNLIB_DATA")
    src = os.path.join(real or "", "mnist", LAB)
    if not real or not os.path.isfile(src):
        pytest.skip("set NNLIB_DATA to the folder holding mnist/")
    with open(src, "rb") as f:
        data = f.read()
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / LAB).write_bytes(data[:1000])
    with pytest.raises(ValueError, match="gzip stream cannot be decompressed"):
        read_idx(tmp_path / "mnist" / LAB)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        found = fetch_file("mnist", LAB, tmp_path, download=False)
    assert found == Path(real) / "mnist" / LAB  # the good copy in NNLIB_DATA is used
    assert any("1,000 bytes, expected 4,542" in str(w.message) for w in record)
