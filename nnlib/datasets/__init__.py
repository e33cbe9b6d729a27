"""Data for the course: MNIST and Kuzushiji-MNIST from their official files, and 2-D toys.

>>> from nnlib.datasets import load_mnist, make_spiral
>>> X_train, y_train, X_test, y_test = load_mnist()        # doctest: +SKIP
>>> X, y = make_spiral(n_per_class=100, seed=0)

Image files are looked for in ``data_home``, then ``$NNLIB_DATA``, then a per-user cache,
verified by SHA-256, and downloaded from several mirrors when missing
(:mod:`nnlib.datasets.files`, whose docstring lists what happens when a mirror, the
cache folder or a file on disk is bad). To fetch them ahead of time::

    python -m nnlib.datasets download mnist kmnist [--data-home DIR]

Modules: ``files.py`` (the file registry, search, download), ``images.py`` (IDX/npz
decoding, ``load_mnist``, ``load_kmnist``), ``synthetic.py`` (spirals, circles, moons,
separable blobs). scikit-learn is imported only by ``make_circles`` and ``make_moons``.
"""

from .files import (
    FILES,
    DatasetNotFoundError,
    DownloadDirError,
    default_cache_dir,
    fetch_file,
)
from .images import (
    KMNIST_CLASSES,
    KMNIST_HIRAGANA,
    KMNIST_ROMAJI,
    MNIST_CLASSES,
    Dataset,
    clear_memory_cache,
    load_kmnist,
    load_mnist,
    parse_idx,
    read_idx,
    read_npz,
)
from .synthetic import make_blobs_separable, make_circles, make_moons, make_spiral

__all__ = [
    "load_mnist", "load_kmnist", "Dataset", "MNIST_CLASSES", "KMNIST_CLASSES",
    "KMNIST_HIRAGANA", "KMNIST_ROMAJI", "make_spiral", "make_circles", "make_moons",
    "make_blobs_separable", "fetch_file", "default_cache_dir", "DatasetNotFoundError",
    "DownloadDirError", "FILES", "parse_idx", "read_idx", "read_npz", "clear_memory_cache",
]
