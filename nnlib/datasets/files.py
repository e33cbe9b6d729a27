"""Finding, downloading and verifying the dataset files: the part that must never break.

Every file the loaders read is listed in :data:`FILES` below with its size, its SHA-256
and the mirrors it can be downloaded from. A file is looked for, in this order, in

1. the ``data_home`` argument,
2. the folder named by the ``NNLIB_DATA`` environment variable,
3. a per-user cache folder (:func:`default_cache_dir`; ``NNLIB_CACHE`` overrides it),

always as ``<folder>/<dataset>/<file>`` (``mnist/`` and ``kmnist/``). A file found anywhere
is hashed and used only if its SHA-256 matches. When it is missing, it is downloaded into
``data_home`` (if given) or the cache: each mirror in turn, transient errors retried with
exponential back-off, the bytes written to a hidden temporary file in the destination folder
and renamed to the real name only after the SHA-256 matches. An interrupted, truncated or
wrong download therefore never leaves a file that looks valid, and an HTML error page is
rejected as soon as its first bytes (or its ``Content-Type``) show it.

Mirrors can be replaced, for a lab server or for tests, with the ``mirrors=`` argument of
the loaders or the ``NNLIB_MIRRORS`` environment variable (URLs separated by spaces or
commas). Such a mirror is a folder laid out like the data folder: the file
``mnist/train-labels-idx1-ubyte.gz`` is fetched from ``<mirror>mnist/train-labels-idx1-ubyte.gz``.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..progress import progress_bar
from ..validation import check_number, check_positive_int


@dataclass(frozen=True)
class RemoteFile:
    """One official dataset file: its expected size and SHA-256, and where to get it.

    ``mirrors`` are folder URLs; the file name is appended to each.
    """

    sha256: str
    size: int
    mirrors: tuple[str, ...]


# --- The registry -----------------------------------------------------------------------
# Sizes and SHA-256 values are those of the official releases (see ../shared/data/README.md;
# every MD5 equals the published one). Third-party copies are safe because of the SHA-256.
_MNIST = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's first choice
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # CVDF mirror
    "http://yann.lecun.com/exdb/mnist/",  # the original host; often answers 403
)
# A torchvision download cache holding three of the four official MNIST files unchanged.
_MNIST_GH = ("https://raw.githubusercontent.com/lijie2020/vae/"
             "6aa58aba724f46dba967fc7058945941d171d433/data/MNIST/MNIST/raw/",)

_KMNIST_CODH = "http://codh.rois.ac.jp/kmnist/dataset/kmnist/"  # official; down since 03/2026
# Git LFS copies (the LFS object id *is* the SHA-256, checked against the table below);
# media.githubusercontent.com serves LFS content, raw.githubusercontent.com only the pointer.
_KMNIST_LFS = ("https://media.githubusercontent.com/media/namanlab/CVCNN_Paper/"
               "0f30b9c852904dc63a7902c1d2a2f5c61d0547e4/data/KMNIST/raw/")
# A torchvision cache; t10k-images and train-labels are known to be there, the other two
# .gz files probably (torchvision keeps all four); the SHA-256 guards either way.
_KMNIST_YD = ("https://raw.githubusercontent.com/YashDagade/ECE-685-Fall-2024/"
              "823aa44c70becf3d0fc530be1c67ce73c7cd1d9b/data/KMNIST/raw/")
_KMNIST_KM = "https://raw.githubusercontent.com/Kminek42/KMNIST/HEAD/KMNIST/KMNIST/raw/"  # unpinned
_KMNIST_RS = ("https://raw.githubusercontent.com/Romchyk-S/KMNIST/"
              "18273f2911e50ffc1fb1c89e608f4281254cb67d/kmnist/")
_KMNIST_SJ = ("https://media.githubusercontent.com/media/schledererj/cs6340-project-3/"
              "2f23129a4110ba3f536ddad14da9924a1f93a17b/")

FILES: dict[str, dict[str, RemoteFile]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": RemoteFile(
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422,
            _MNIST),
        "train-labels-idx1-ubyte.gz": RemoteFile(
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881,
            _MNIST + _MNIST_GH),
        "t10k-images-idx3-ubyte.gz": RemoteFile(
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877,
            _MNIST + _MNIST_GH),
        "t10k-labels-idx1-ubyte.gz": RemoteFile(
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542,
            _MNIST + _MNIST_GH),
    },
    "kmnist": {
        # gzip IDX: the format the loader downloads by default (every file has 2+ mirrors)
        "train-images-idx3-ubyte.gz": RemoteFile(
            "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4", 18165135,
            (_KMNIST_CODH, _KMNIST_LFS, _KMNIST_YD)),
        "train-labels-idx1-ubyte.gz": RemoteFile(
            "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17", 29497,
            (_KMNIST_CODH, _KMNIST_YD, _KMNIST_LFS)),
        "t10k-images-idx3-ubyte.gz": RemoteFile(
            "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5", 3041136,
            (_KMNIST_CODH, _KMNIST_YD, _KMNIST_LFS, _KMNIST_KM)),
        "t10k-labels-idx1-ubyte.gz": RemoteFile(
            "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c", 5120,
            (_KMNIST_CODH, _KMNIST_LFS, _KMNIST_KM, _KMNIST_YD)),
        # .npz (key arr_0): no public copy of the training images is known besides CODH
        "kmnist-train-imgs.npz": RemoteFile(
            "11d69e17c8fd294905864aef177fd10c2185e5a3655f4da03d72ea5a64c17a72", 18384171,
            (_KMNIST_CODH,)),
        "kmnist-train-labels.npz": RemoteFile(
            "a325c877035602cb9b9ba54f4194a2a1b5f718026a463db5b5e0cdc124c03720", 29700,
            (_KMNIST_CODH, _KMNIST_RS)),
        "kmnist-test-imgs.npz": RemoteFile(
            "692d824896bec8f3c357ebf7a0fe904ed67ac632ce953d0b58f7fbef7bb27d87", 3079479,
            (_KMNIST_CODH, _KMNIST_RS, _KMNIST_SJ)),
        "kmnist-test-labels.npz": RemoteFile(
            "660f13a4705431ea2a6391c41ecbe384cd0d932c595a101ec4f3b8989e785046", 5304,
            (_KMNIST_CODH, _KMNIST_RS, _KMNIST_SJ)),
    },
}

# Which files make up each dataset in each format: (train images, train labels,
# test images, test labels).
FORMATS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "mnist": {"idx": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                      "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")},
    "kmnist": {"idx": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                       "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
               "npz": ("kmnist-train-imgs.npz", "kmnist-train-labels.npz",
                       "kmnist-test-imgs.npz", "kmnist-test-labels.npz")},
}

USER_AGENT = "Mozilla/5.0 (compatible; nnlib dataset loader; Python urllib)"
_CHUNK = 1 << 16


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is neither on disk (with the right SHA-256) nor downloadable.

    The message names the file, the folders searched, the mirrors tried and the fix.
    """


class _MirrorFailed(Exception):
    """One attempt at one mirror failed; ``transient`` says whether retrying may help."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


# --- Where files live -------------------------------------------------------------------
def default_cache_dir() -> Path:
    """The per-user cache folder: ``NNLIB_CACHE`` if set, else the platform's usual place.

    Linux: ``$XDG_CACHE_HOME/nnlib`` (``~/.cache/nnlib``); macOS: ``~/Library/Caches/nnlib``;
    Windows: ``%LOCALAPPDATA%\\nnlib\\Cache``.
    """
    env = os.environ.get("NNLIB_CACHE")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "nnlib" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "nnlib"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnlib"


def search_folders(data_home=None) -> list[tuple[str, Path | None]]:
    """The folders searched, in order, as ``(description, folder or None if unset)``."""
    env = os.environ.get("NNLIB_DATA")
    return [
        *([("data_home argument", Path(data_home).expanduser())] if data_home is not None
          else []),
        ("NNLIB_DATA", Path(env).expanduser() if env else None),
        ("per-user cache", default_cache_dir()),
    ]


def mirror_urls(dataset: str, name: str, mirrors=None) -> list[str]:
    """The URLs to try for one file: from ``mirrors``, else ``NNLIB_MIRRORS``, else FILES.

    Overriding mirrors are folders laid out like the data folder (``<dataset>/<name>``
    is appended); the registry's mirrors are folders that hold the file itself.
    """
    if mirrors is None and os.environ.get("NNLIB_MIRRORS"):
        mirrors = os.environ["NNLIB_MIRRORS"]
    if mirrors is None:
        return [base + name for base in FILES[dataset][name].mirrors]
    if isinstance(mirrors, str):
        mirrors = re.split(r"[\s,]+", mirrors.strip())
    return [(m if m.endswith("/") else m + "/") + f"{dataset}/{name}" for m in mirrors if m]


def sha256_of(path) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _info(dataset: str, name: str) -> RemoteFile:
    try:
        return FILES[dataset][name]
    except KeyError:
        raise ValueError(f"unknown dataset file {dataset}/{name}; known files: "
                         + ", ".join(f"{d}/{n}" for d in FILES for n in FILES[d])) from None


def find_local(dataset: str, name: str, data_home=None, notes: list[str] | None = None):
    """The first verified copy of a file in the search folders, or ``None``.

    A copy whose SHA-256 does not match is skipped with a warning (and noted in ``notes``,
    which collects one line per folder for error messages).
    """
    info = _info(dataset, name)
    for where, folder in search_folders(data_home):
        if folder is None:
            if notes is not None:
                notes.append(f"{where}: not set")
            continue
        path = folder / dataset / name
        if not path.is_file():
            if notes is not None:
                notes.append(f"{path} ({where}): not found")
            continue
        digest = sha256_of(path)
        if digest == info.sha256:
            return path
        msg = (f"{path} ({where}) is corrupt or not the official file: SHA-256 {digest}, "
               f"expected {info.sha256}")
        if notes is not None:
            notes.append(msg)
        warnings.warn(msg + "; ignoring it", stacklevel=3)
    return None


def fetch_file(dataset: str, name: str, data_home=None, *, download: bool = True,
               mirrors=None, progress: bool = True, timeout: float = 30.0,
               retries: int = 3, backoff: float = 1.0) -> Path:
    """Return the path of a verified copy of ``<dataset>/<name>``, downloading it if needed.

    Parameters
    ----------
    dataset, name : str
        A key of :data:`FILES`, e.g. ``"mnist"``, ``"t10k-labels-idx1-ubyte.gz"``.
    data_home : str or Path, optional
        Looked in first, and where a download goes (else the per-user cache).
    download : bool
        If False, never use the network.
    mirrors : str or sequence of str, optional
        Folder URLs that replace the registry's mirrors (see the module docstring).
    progress : bool
        Show a tqdm progress bar while downloading.
    timeout : float
        Seconds to wait for the server at each network operation.
    retries : int
        Extra attempts per mirror after a transient error (timeout, 5xx, cut-off transfer),
        with back-off ``backoff * 2**attempt`` seconds.
    backoff : float
        Base delay of the exponential back-off, in seconds.

    Raises
    ------
    DatasetNotFoundError
        No verified copy on disk and no mirror gave the right bytes.
    """
    info = _info(dataset, name)
    timeout = check_number(timeout, "timeout", low=0, low_inclusive=False)
    retries = check_positive_int(retries, "retries", minimum=0)
    backoff = check_number(backoff, "backoff", low=0)
    notes: list[str] = []
    path = find_local(dataset, name, data_home, notes)
    if path is not None:
        return path
    if not download:
        raise DatasetNotFoundError(_not_found_message(dataset, name, info, notes, None))
    root = Path(data_home).expanduser() if data_home is not None else default_cache_dir()
    dest = root / dataset / name
    urls = mirror_urls(dataset, name, mirrors)
    errors = _download(urls, dest, info, progress=progress, timeout=timeout,
                       retries=retries, backoff=backoff)
    if errors is None:
        return dest
    raise DatasetNotFoundError(_not_found_message(dataset, name, info, notes, errors))


def copy_verified(src: Path, dest: Path, sha256: str) -> None:
    """Copy a file through a temporary file, renaming it only if the copy's SHA-256 matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        if sha256_of(tmp) != sha256:
            raise OSError(f"copy of {src} to {dest} does not match SHA-256 {sha256}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# --- Downloading ------------------------------------------------------------------------
def _download(urls: Sequence[str], dest: Path, info: RemoteFile, *, progress: bool,
              timeout: float, retries: int, backoff: float) -> list[tuple[str, str]] | None:
    """Try each URL in turn; ``None`` on success, else ``[(url, what went wrong), ...]``."""
    errors: list[tuple[str, str]] = []
    if not urls:
        return errors
    dest.parent.mkdir(parents=True, exist_ok=True)
    for i, url in enumerate(urls):
        for attempt in range(retries + 1):
            try:
                _download_once(url, dest, info, progress=progress, timeout=timeout)
                return None
            except _MirrorFailed as exc:
                failure = exc
            if not failure.transient or attempt == retries:
                break
            time.sleep(backoff * 2 ** attempt)
        tries = f" ({attempt + 1} attempts)" if attempt else ""
        errors.append((url, f"{failure}{tries}"))
        if progress and i + 1 < len(urls):
            print(f"nnlib: {url} failed: {failure}; trying the next mirror", file=sys.stderr)
    return errors


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip().lower()
    return start.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))


def _download_once(url: str, dest: Path, info: RemoteFile, *, progress: bool,
                   timeout: float) -> None:
    """Download one URL to a temporary file next to ``dest``; rename it once verified."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener()  # reads proxy settings from the environment now
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        transient = exc.code in (408, 425, 429) or exc.code >= 500
        raise _MirrorFailed(f"HTTP {exc.code} {exc.reason}", transient) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise _MirrorFailed(f"{type(exc).__name__}: {reason}", True) from None

    tmp = None
    with response:
        ctype = response.headers.get("Content-Type", "")
        if "html" in ctype.lower():
            raise _MirrorFailed(f"served an HTML page (Content-Type {ctype}), not the file",
                                False)
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) != info.size:
            raise _MirrorFailed(f"serves {int(length):,} bytes, expected {info.size:,}", False)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        try:
            digest, n = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out, progress_bar(
                    total=info.size, unit="B", unit_scale=True, unit_divisor=1024,
                    desc=dest.name, progress=progress) as bar:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as exc:  # cut off, timeout
                        raise _MirrorFailed(
                            f"transfer broke off after {n:,} of {info.size:,} bytes "
                            f"({type(exc).__name__})", True) from None
                    if not chunk:
                        break
                    if n == 0 and _looks_like_html(chunk[:512]):
                        raise _MirrorFailed("served an HTML page, not the file", False)
                    n += len(chunk)
                    if n > info.size:
                        raise _MirrorFailed(f"sent more than the expected {info.size:,} bytes",
                                            False)
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
            if n != info.size:
                raise _MirrorFailed(f"transfer ended after {n:,} of {info.size:,} bytes", True)
            if digest.hexdigest() != info.sha256:
                raise _MirrorFailed(f"wrong bytes: SHA-256 {digest.hexdigest()}, "
                                    f"expected {info.sha256}", False)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a shared lab folder needs read
            os.replace(tmp, dest)  # atomic: dest is either absent/old or complete and verified
            tmp = None
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)


def _not_found_message(dataset: str, name: str, info: RemoteFile, notes: list[str],
                       errors: list[tuple[str, str]] | None) -> str:
    lines = [f"Could not find or download the {dataset.upper()} file '{name}' "
             f"({info.size:,} bytes, SHA-256 {info.sha256}).",
             "Folders searched, in order:"]
    lines += [f"  {i}. {note}" for i, note in enumerate(notes, 1)]
    if errors is None:
        lines.append("Mirrors tried: none (download=False).")
    elif not errors:
        lines.append("Mirrors tried: none (the mirror list is empty).")
    else:
        lines.append("Mirrors tried:")
        lines += [f"  - {url}: {err}" for url, err in errors]
    lines += [
        "How to fix it:",
        "  - If you have the files (a shared drive, a USB stick, a course server), set",
        "    NNLIB_DATA=/path/to/folder containing mnist/ and kmnist/ (like",
        f"    /path/to/folder/{dataset}/{name}), or pass data_home=... to the loader.",
        "  - Or, on a machine with internet, run",
        f"      python -m nnlib.datasets download {dataset} --data-home DIR",
        "    and copy DIR to this machine (then point NNLIB_DATA at it).",
    ]
    return "\n".join(lines)
