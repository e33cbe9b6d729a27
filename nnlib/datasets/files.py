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

What goes wrong, and what happens then:

* **One mirror fails** (a malformed URL such as ``htp:/bad`` or a port out of range, an HTTP
  error, a timeout, a refused connection, a cut-off transfer, an HTML page, the wrong
  size or SHA-256): the next mirror is tried; transient failures (timeouts, 5xx, cut-off
  transfers, refused connections) are first retried ``retries`` times. A malformed URL is
  never retried and also gives a ``UserWarning``, so a typo in ``NNLIB_MIRRORS`` is seen
  even when a later mirror works. Only when every mirror failed is one
  :class:`DatasetNotFoundError` raised, listing each mirror and why it failed.
* **The download folder cannot be written** (read-only, not creatable, a file in the way):
  :class:`DownloadDirError` (a ``PermissionError``) naming the folder, raised before any
  network traffic, with the ways to choose another one (``data_home=``, ``NNLIB_CACHE``,
  ``--data-home``) or to use files already on disk (``NNLIB_DATA``). There is deliberately
  no silent fallback to a temporary folder: it would download the files again after every
  reboot and hide the misconfiguration.
* **A file on disk is corrupt** (wrong size or SHA-256, e.g. a truncated download by another
  tool): it is skipped with a warning naming it, and downloaded again; if that is impossible
  the error names the file and says to delete or replace it.
* **Bad arguments** (an unknown dataset or file, a mirror that is not a string, ``timeout``
  that is not a positive number, ``download="no"``, ...): ``TypeError`` or ``ValueError``
  naming the argument, what was expected and what came, before any file or network access.
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
import urllib.parse
import urllib.request
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


class DownloadDirError(PermissionError):
    """The folder a download must go to cannot be created or written.

    A ``PermissionError`` (what such a failure used to surface as); the message names the
    folder, the reason, and how to choose another folder.
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


def check_mirrors(mirrors) -> tuple[str, ...] | None:
    """Check the ``mirrors`` argument: None, a string of URLs, or a list/tuple of URL strings.

    A string is split at spaces and commas (like ``NNLIB_MIRRORS``). Entries must be
    strings (``TypeError`` otherwise); whether each is a well-formed URL is decided when
    it is tried (:func:`url_problem`), so that one malformed entry never stops the others.
    """
    if mirrors is None:
        return None
    if isinstance(mirrors, str):
        return tuple(m for m in re.split(r"[\s,]+", mirrors.strip()) if m)
    if not isinstance(mirrors, (list, tuple)):
        raise TypeError("mirrors must be None, a string of URLs or a list of URL strings, "
                        f"got {type(mirrors).__name__} {mirrors!r}")
    for i, m in enumerate(mirrors):
        if not isinstance(m, str):
            raise TypeError(f"mirrors[{i}] must be a URL string such as "
                            f"'https://example.org/data/', got {type(m).__name__} {m!r}")
    return tuple(mirrors)


_SCHEMES = ("http", "https", "ftp", "file")


def url_problem(url: str) -> str | None:
    """What makes ``url`` unusable as a download URL, or ``None`` if it looks well formed."""
    if not url or url != url.strip() or any(c.isspace() or ord(c) < 32 for c in url):
        return "contains spaces or control characters" if url.strip() else "is empty"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number 0..65535
    except ValueError as exc:
        return str(exc)
    if parts.scheme.lower() not in _SCHEMES:
        return (f"scheme {parts.scheme + ':' if parts.scheme else '(none)'} is not one of "
                + ", ".join(f"{s}://" for s in _SCHEMES))
    if parts.scheme.lower() != "file" and not parts.hostname:
        return f"no host name after {parts.scheme}://"
    if port == 0:
        return "port 0"
    return None


def mirror_urls(dataset: str, name: str, mirrors=None) -> list[str]:
    """The URLs to try for one file: from ``mirrors``, else ``NNLIB_MIRRORS``, else FILES.

    Overriding mirrors are folders laid out like the data folder (``<dataset>/<name>``
    is appended); the registry's mirrors are folders that hold the file itself. Malformed
    entries are kept (and fail when tried, see :func:`url_problem`).
    """
    mirrors = check_mirrors(mirrors)
    if mirrors is None and os.environ.get("NNLIB_MIRRORS"):
        mirrors = check_mirrors(os.environ["NNLIB_MIRRORS"])
    if mirrors is None:
        return [base + name for base in FILES[dataset][name].mirrors]
    return [(m if m.endswith("/") else m + "/") + f"{dataset}/{name}" for m in mirrors]


def check_bool(value, name: str) -> bool:
    """Check that ``value`` is a bool (``numpy.bool_`` too); ``"no"`` or ``0`` are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_data_home(data_home) -> Path | None:
    """Check the ``data_home`` argument: None or a non-empty path (str or os.PathLike)."""
    if data_home is None:
        return None
    if isinstance(data_home, bytes) or not isinstance(data_home, (str, os.PathLike)):
        raise TypeError("data_home must be None or a folder path (str or pathlib.Path), "
                        f"got {type(data_home).__name__} {data_home!r}")
    if isinstance(data_home, str) and not data_home.strip():
        raise ValueError("data_home must be a folder path, got an empty string "
                         "(use None for the default search folders)")
    return Path(data_home).expanduser()


MAX_TIMEOUT = 86400.0  # a day; beyond, the socket layer overflows


def check_network_options(mirrors=None, progress=True, timeout=30.0, retries=3,
                          backoff=1.0) -> dict:
    """Check the download options shared by the loaders; return them normalised."""
    return dict(
        mirrors=check_mirrors(mirrors),
        progress=check_bool(progress, "progress"),
        timeout=check_number(timeout, "timeout", low=0, high=MAX_TIMEOUT,
                             low_inclusive=False),
        retries=check_positive_int(retries, "retries", minimum=0),
        backoff=check_number(backoff, "backoff", low=0),
    )


def sha256_of(path) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_dataset(dataset) -> str:
    """Check a dataset name: ``"mnist"`` or ``"kmnist"``."""
    if not isinstance(dataset, str):
        raise TypeError(f"dataset must be a string, one of {sorted(FILES)}, "
                        f"got {type(dataset).__name__} {dataset!r}")
    if dataset not in FILES:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {sorted(FILES)}")
    return dataset


def _info(dataset: str, name: str) -> RemoteFile:
    check_dataset(dataset)
    if not isinstance(name, str):
        raise TypeError(f"name must be a file name string, got {type(name).__name__} {name!r}")
    if name not in FILES[dataset]:
        raise ValueError(f"unknown {dataset} file {name!r}; expected one of "
                         f"{sorted(FILES[dataset])}")
    return FILES[dataset][name]


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
                what = "not a file" if path.exists() else "not found"
                notes.append(f"{path} ({where}): {what}")
            continue
        try:
            size = path.stat().st_size
            digest = sha256_of(path) if size == info.size else None
        except OSError as exc:
            msg = f"{path} ({where}) cannot be read: {exc.strerror or exc}"
        else:
            if digest == info.sha256:
                return path
            found = (f"{size:,} bytes, expected {info.size:,} bytes with SHA-256 {info.sha256}"
                     if digest is None else f"SHA-256 {digest}, expected {info.sha256}")
            msg = (f"{path} ({where}) is corrupt or not the official file ({found}); "
                   "delete it or replace it with a good copy")
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
        No verified copy on disk and no mirror gave the right bytes; the message lists
        each folder searched and each mirror tried, with what went wrong.
    DownloadDirError
        The file must be downloaded but its folder cannot be created or written.
    TypeError, ValueError
        A bad argument, before any file or network access.
    """
    info = _info(dataset, name)
    data_home = check_data_home(data_home)
    download = check_bool(download, "download")
    net = check_network_options(mirrors, progress, timeout, retries, backoff)
    notes: list[str] = []
    path = find_local(dataset, name, data_home, notes)
    if path is not None:
        return path
    if not download:
        raise DatasetNotFoundError(_not_found_message(dataset, name, info, notes, None))
    dest = download_path(dataset, name, data_home)
    urls = mirror_urls(dataset, name, net.pop("mirrors"))
    if urls:
        ensure_writable(dest, data_home)
    errors = _download(urls, dest, info, **net)
    if errors is None:
        return dest
    raise DatasetNotFoundError(_not_found_message(dataset, name, info, notes, errors))


def download_path(dataset: str, name: str, data_home=None) -> Path:
    """Where a download of ``<dataset>/<name>`` goes: ``data_home`` or the per-user cache."""
    root = Path(data_home).expanduser() if data_home is not None else default_cache_dir()
    return root / dataset / name


def ensure_writable(dest: Path, data_home=None) -> None:
    """Create ``dest``'s folder and check that a file can be written there, else raise
    :class:`DownloadDirError` naming the folder and how to choose another."""
    folder = dest.parent
    if data_home is not None:
        where = "the data_home argument"
    elif os.environ.get("NNLIB_CACHE"):
        where = "NNLIB_CACHE"
    else:
        where = "the per-user cache"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if dest.exists() and not dest.is_file():
            raise IsADirectoryError(f"{dest} exists and is not a file")
        fd, probe = tempfile.mkstemp(prefix=".nnlib-write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DownloadDirError(
            f"Cannot save downloads in {folder} (from {where}): {reason}.\n"
            "Choose a folder you can write to:\n"
            "  - pass data_home='/a/writable/folder' to the loader (or --data-home DIR to\n"
            "    python -m nnlib.datasets download), or\n"
            "  - set NNLIB_CACHE=/a/writable/folder to move the per-user cache, or\n"
            "  - if the files are already on disk (a shared drive), set NNLIB_DATA to the\n"
            "    folder holding mnist/ and kmnist/: nothing is downloaded then.") from exc


def copy_verified(src: Path, dest: Path, sha256: str) -> None:
    """Copy a file through a temporary file, renaming it only if the copy's SHA-256 matches."""
    ensure_writable(dest, dest.parent.parent)
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
    for i, url in enumerate(urls):
        problem = url_problem(url)
        if problem is not None:
            errors.append((url, f"malformed mirror URL: {problem}; skipped"))
            warnings.warn(f"nnlib: skipping the malformed mirror URL {url!r}: {problem}",
                          stacklevel=4)
            continue
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
    except ValueError as exc:  # a URL that url_problem let through but urllib refuses
        raise _MirrorFailed(f"malformed mirror URL: {exc}", False) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ConnectionRefusedError):
            reason = "connection refused"
        elif isinstance(reason, TimeoutError):
            reason = f"timed out after {timeout:g} s"
        transient = not (isinstance(reason, FileNotFoundError)  # a file:// mirror
                         or (isinstance(reason, str) and reason.startswith("unknown url type")))
        raise _MirrorFailed(f"{type(exc).__name__}: {reason}", transient) from None

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
                        why = (f"timed out after {timeout:g} s"
                               if isinstance(exc, TimeoutError)
                               else type(exc).__name__)
                        raise _MirrorFailed(
                            f"transfer broke off after {n:,} of {info.size:,} bytes "
                            f"({why})", True) from None
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
