"""MNIST and Kuzushiji-MNIST: 70,000 grey 28x28 images each, 10 classes, in official files.

``load_mnist()`` and ``load_kmnist()`` return a :class:`Dataset` that unpacks as
``X_train, y_train, X_test, y_test = load_mnist()``. The files are found or downloaded and
verified by :mod:`nnlib.datasets.files`; this module decodes them:

* **IDX** (``*-ubyte.gz``, gzip-compressed): a 4-byte big-endian magic number
  ``0x00 0x00 <type code> <number of dimensions>``, one big-endian uint32 per dimension,
  then the values in C order. Images are ``0x00000803`` (uint8, 3-D), labels ``0x00000801``.
* **npz** (KMNIST only): a NumPy zip archive with one array under the key ``arr_0``,
  read with ``allow_pickle=False`` (a pickle can run code; these files never need one).

Decoded arrays are kept in memory, keyed by the file's SHA-256, so a notebook that calls a
loader twice decodes once; every call still returns fresh arrays the caller may modify.

A file that cannot be decoded (a truncated gzip stream, a bad IDX magic number, a size that
does not match the header, a damaged zip archive, a ``.npy`` in place of an ``.npz``) gives
a ``ValueError`` naming the file and saying to delete it; the loaders never get that far
with a corrupt download, since they check every file's SHA-256 first.
"""

from __future__ import annotations

import gzip
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from .files import (
    FILES,
    FORMATS,
    check_bool,
    check_data_home,
    check_network_options,
    fetch_file,
    search_folders,
)

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
"""Class names of MNIST: the digits ``"0"`` .. ``"9"``."""

KMNIST_HIRAGANA: tuple[str, ...] = ("お", "き", "す", "つ", "な", "は", "ま", "や", "れ", "を")
KMNIST_ROMAJI: tuple[str, ...] = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
KMNIST_CLASSES: tuple[str, ...] = tuple(f"{h} {r}" for h, r in zip(KMNIST_HIRAGANA,
                                                                   KMNIST_ROMAJI))
"""Class names of Kuzushiji-MNIST, hiragana and romaji: ``"お o"``, ``"き ki"``, ... ``"を wo"``.

Plotting the hiragana needs a font with Japanese glyphs (``import matplotlib_fontja``);
``KMNIST_ROMAJI`` works with any font.
"""

# IDX type codes -> big-endian NumPy dtypes
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Train and test splits of an image dataset; unpacks as a 4-tuple.

    Attributes
    ----------
    X_train : ndarray, shape (60000, 28, 28), or (60000, 784) when flattened
    y_train : ndarray of int64, shape (60000,), class indices 0..9
    X_test : ndarray, shape (10000, 28, 28) or (10000, 784)
    y_test : ndarray of int64, shape (10000,)
    class_names : tuple of str, the name of class ``k`` is ``class_names[k]``
    name : str, ``"mnist"`` or ``"kmnist"``
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    name: str = ""

    def __iter__(self):
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, X_train={self.X_train.shape} {self.X_train.dtype}, "
                f"y_train={self.y_train.shape}, X_test={self.X_test.shape} "
                f"{self.X_test.dtype}, y_test={self.y_test.shape}, "
                f"{len(self.class_names)} classes)")


# --- Decoding ---------------------------------------------------------------------------
def parse_idx(data: bytes, source: str = "IDX data") -> np.ndarray:
    """Decode uncompressed IDX bytes into an array (native byte order).

    Raises ``ValueError`` for a bad magic number or a size that does not match the header,
    ``TypeError`` if ``data`` is not bytes-like.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be the bytes of an IDX file, got {type(data).__name__}; "
                        "to read a file use read_idx(path)")
    if not isinstance(source, str):
        raise TypeError(f"source must be a string naming the data, got {type(source).__name__}")
    data = bytes(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(
            f"{source} is not an IDX file: bad magic number {data[:4].hex() or '(empty)'}; "
            "expected 0000 followed by a type code (08 = uint8) and the number of dimensions, "
            "e.g. 00000803 for images and 00000801 for labels")
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{source}: IDX header is cut short ({len(data)} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{source}: IDX header says shape {shape} ({expected:,} bytes in all) "
                         f"but the data has {len(data):,} bytes")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


_DELETE_HINT = ("; if it is a downloaded dataset file, delete it and load again: the loader "
                "downloads a fresh copy (or run python -m nnlib.datasets download)")


def _check_path(path) -> str:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or pathlib.Path), "
                        f"got {type(path).__name__} {path!r}")
    return os.fspath(path)


def read_idx(path) -> np.ndarray:
    """Read a gzip-compressed (``.gz``) or plain IDX file into an array.

    A corrupt file (truncated or damaged gzip stream, bad magic number, wrong size) gives a
    ``ValueError`` naming it.
    """
    path = _check_path(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":  # the gzip magic number
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:  # BadGzipFile is an OSError
            raise ValueError(f"{path} is corrupt: its gzip stream cannot be decompressed "
                             f"({type(exc).__name__}: {exc}){_DELETE_HINT}") from None
    try:
        return parse_idx(data, source=path)
    except ValueError as exc:
        raise ValueError(f"{exc}{_DELETE_HINT}") from None


def read_npz(path) -> np.ndarray:
    """Read the single array ``arr_0`` of a KMNIST ``.npz`` file, never unpickling.

    A damaged archive, a ``.npy`` file, other keys or pickled data give a ``ValueError``
    naming the file.
    """
    path = _check_path(path)
    # The file is opened here, not by np.load: np.load leaves a file it opened itself open
    # when the archive turns out to be damaged.
    with open(path, "rb") as f:
        head = f.read(6)
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
            raise ValueError(f"{path} is not an .npz archive: it starts with {head!r}, not the "
                             f"zip signature b'PK\\x03\\x04'{_DELETE_HINT}")
        f.seek(0)
        try:
            npz = np.load(f, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise ValueError(f"{path} is not a readable .npz archive "
                             f"({type(exc).__name__}: {exc}){_DELETE_HINT}") from None
        except ValueError as exc:  # pickled data, or not a NumPy file at all
            raise ValueError(f"{path}: {exc}{_DELETE_HINT}") from None
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError(f"{path} is a .npy file holding one array, not an .npz archive "
                             "with the key 'arr_0'")
        with npz:
            if list(npz.keys()) != ["arr_0"]:
                raise ValueError(f"{path}: expected one array under the key 'arr_0', "
                                 f"found keys {list(npz.keys())}")
            try:
                return npz["arr_0"]
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                raise ValueError(f"{path} is corrupt: the array cannot be read "
                                 f"({type(exc).__name__}: {exc}){_DELETE_HINT}") from None
            except ValueError as exc:  # pickled data
                raise ValueError(f"{path}: {exc}{_DELETE_HINT}") from None


_DECODED: dict[str, np.ndarray] = {}  # SHA-256 -> read-only uint8 array


def _decoded(path, sha256: str) -> np.ndarray:
    """The file's array, decoded once per process (the file was verified against sha256)."""
    if sha256 not in _DECODED:
        array = read_npz(path) if str(path).endswith(".npz") else read_idx(path)
        array.setflags(write=False)
        _DECODED[sha256] = array
    return _DECODED[sha256]


def clear_memory_cache() -> None:
    """Forget the decoded arrays kept in memory (the files on disk are untouched)."""
    _DECODED.clear()


# --- Loaders ----------------------------------------------------------------------------
def _check_load_args(data_home, flatten, scale, dtype, download, net):
    """Check every loader argument before any file is touched; return them normalised."""
    data_home = check_data_home(data_home)
    flatten = check_bool(flatten, "flatten")
    scale = check_bool(scale, "scale")
    download = check_bool(download, "download")
    if dtype is None:
        raise TypeError("dtype must be a floating-point dtype such as np.float32, got None")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a floating-point dtype such as np.float32, "
                        f"got {dtype!r}") from None
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating-point type such as np.float32, got {dtype}")
    net = check_network_options(**net)
    return data_home, flatten, scale, dtype, download, net


def _load(dataset: str, file_format: str, class_names, data_home, flatten, scale, dtype,
          download, net) -> Dataset:
    arrays = []
    for name in FORMATS[dataset][file_format]:
        path = fetch_file(dataset, name, data_home, download=download, **net)
        arrays.append(_decoded(path, FILES[dataset][name].sha256))
    X_train, y_train, X_test, y_test = arrays
    for X, y, split in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        if X.dtype != np.uint8 or X.ndim != 3 or X.shape[1:] != (28, 28) or y.ndim != 1 \
                or len(X) != len(y) or y.min() < 0 or y.max() > 9:
            raise ValueError(f"{dataset} {split} files do not hold 28x28 uint8 images with "
                             f"labels 0..9: images {X.shape} {X.dtype}, labels {y.shape}")

    def images(X):
        X = X.reshape(len(X), -1) if flatten else X
        if not scale:
            return X.copy()  # a writable copy: the cached array stays untouched
        out = X.astype(dtype)
        out /= 255
        return out

    return Dataset(images(X_train), y_train.astype(np.int64), images(X_test),
                   y_test.astype(np.int64), tuple(class_names), dataset)


def load_mnist(data_home=None, *, flatten: bool = False, scale: bool = True,
               dtype=np.float32, download: bool = True, mirrors=None, progress: bool = True,
               timeout: float = 30.0, retries: int = 3, backoff: float = 1.0) -> Dataset:
    """Load MNIST (LeCun, Cortes and Burges): handwritten digits 0-9, from the official files.

    Parameters
    ----------
    data_home : str or Path, optional
        Folder holding ``mnist/<file>``: looked in first, and where downloads go. Then
        ``$NNLIB_DATA/mnist/`` and the per-user cache are searched (see
        :mod:`nnlib.datasets.files`).
    flatten : bool
        Return images as rows of 784 pixels, shape ``(n, 784)``, instead of ``(n, 28, 28)``.
    scale : bool
        If True, images are ``dtype`` in ``[0, 1]`` (pixel / 255); if False, raw ``uint8``
        in ``0..255``.
    dtype : floating-point dtype
        Dtype of scaled images (float32 by default, float64 for gradient checks).
    download : bool
        Download missing files; if False, only files on disk are used.
    mirrors, progress, timeout, retries, backoff
        Download options, see :func:`nnlib.datasets.files.fetch_file`.

    Returns
    -------
    Dataset
        ``X_train`` (60000, 28, 28), ``y_train`` (60000,), ``X_test`` (10000, 28, 28),
        ``y_test`` (10000,); labels are int64 class indices 0..9 (converted from the files'
        uint8); ``class_names`` is :data:`MNIST_CLASSES`. All arrays are new: modify freely.

    Raises
    ------
    DatasetNotFoundError
        A file is not on disk (verified) and could not be downloaded; the message lists
        the folders searched and each mirror tried with its failure.
    DownloadDirError
        A download is needed but its folder cannot be written (see ``data_home``,
        ``NNLIB_CACHE``).
    TypeError, ValueError
        A bad argument (``flatten="no"``, ``dtype=np.int32``, ``timeout=-1``, a mirror
        that is not a string, ...), before any file or network access.

    Cite LeCun et al., "Gradient-based learning applied to document recognition", 1998.
    """
    net = dict(mirrors=mirrors, progress=progress, timeout=timeout, retries=retries,
               backoff=backoff)
    args = _check_load_args(data_home, flatten, scale, dtype, download, net)
    return _load("mnist", "idx", MNIST_CLASSES, *args)


def load_kmnist(data_home=None, *, flatten: bool = False, scale: bool = True,
                dtype=np.float32, download: bool = True, file_format: str | None = None,
                mirrors=None, progress: bool = True, timeout: float = 30.0, retries: int = 3,
                backoff: float = 1.0) -> Dataset:
    """Load Kuzushiji-MNIST (CODH): 10 cursive hiragana, 6,000 training images per class.

    The official release comes in two formats holding identical arrays: gzip IDX
    (``train-images-idx3-ubyte.gz``, ...) and NumPy ``.npz`` (``kmnist-train-imgs.npz``, ...).
    ``file_format=None`` uses the IDX files, or the ``.npz`` files when only those are on
    disk; downloads fetch IDX, the format with at least two mirrors for every file since
    the official host went offline (the ``.npz`` training images have only that host).

    Parameters
    ----------
    file_format : {None, "idx", "npz"}
        Which files to read, see above.
    data_home, flatten, scale, dtype, download, mirrors, progress, timeout, retries, backoff
        As in :func:`load_mnist`; files live in ``<folder>/kmnist/``.

    Returns
    -------
    Dataset
        Shapes and dtypes as in :func:`load_mnist` (60,000 train and 10,000 test images,
        labels int64 0..9); ``class_names`` is :data:`KMNIST_CLASSES` (``"お o"``, ...).

    License CC BY-SA 4.0: "KMNIST Dataset" (created by CODH), adapted from "Kuzushiji
    Dataset" (created by NIJL and others), doi:10.20676/00000341. Cite Clanuwat et al.,
    "Deep Learning for Classical Japanese Literature", arXiv:1812.01718, 2018.
    """
    if file_format is not None and not isinstance(file_format, str):
        raise TypeError(f"file_format must be None, 'idx' or 'npz', "
                        f"got {type(file_format).__name__} {file_format!r}")
    if file_format not in (None, "idx", "npz"):
        raise ValueError(f"unknown file_format {file_format!r}; expected None, 'idx' or 'npz'")
    net = dict(mirrors=mirrors, progress=progress, timeout=timeout, retries=retries,
               backoff=backoff)
    args = _check_load_args(data_home, flatten, scale, dtype, download, net)
    if file_format is None:
        file_format = "idx"
        if not _all_local("kmnist", "idx", args[0]) and _all_local("kmnist", "npz", args[0]):
            file_format = "npz"
    return _load("kmnist", file_format, KMNIST_CLASSES, *args)


def _all_local(dataset: str, file_format: str, data_home) -> bool:
    """Are all files of this format on disk (any search folder)? Checks existence only."""
    folders = [f for _, f in search_folders(data_home) if f is not None]
    return all(any((f / dataset / name).is_file() for f in folders)
               for name in FORMATS[dataset][file_format])


__all__ = ["Dataset", "load_mnist", "load_kmnist", "MNIST_CLASSES", "KMNIST_CLASSES",
           "KMNIST_HIRAGANA", "KMNIST_ROMAJI", "parse_idx", "read_idx", "read_npz",
           "clear_memory_cache"]
