"""Random shifts (nnlib.augmentation): exact pixels against a loop, seeding, fit_augmented."""

import numpy as np
import pytest

import nnlib
import nnlib.augmentation
from nnlib import Adam, EarlyStopping, History, build_mlp, fit
from nnlib.augmentation import RandomShift, fit_augmented, random_shift


def shift_by_loop(img, dy, dx):
    """The definition, pixel by pixel: out[r, c] = img[r - dy, c - dx], zero outside."""
    h, w = img.shape
    out = np.zeros_like(img)
    for r in range(h):
        for c in range(w):
            if 0 <= r - dy < h and 0 <= c - dx < w:
                out[r, c] = img[r - dy, c - dx]
    return out


def images(n=40, h=7, w=6, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random((n, h, w)).astype(dtype) + 0.5   # no zeros


@pytest.mark.parametrize("max_shift", [1, 2, 3])
def test_every_image_is_shifted_exactly_as_defined(max_shift):
    X = images()
    out, shifts = random_shift(X, max_shift, rng=1, return_shifts=True)
    assert out.shape == X.shape and out.dtype == X.dtype
    assert shifts.shape == (len(X), 2) and np.abs(shifts).max() <= max_shift
    for img, got, (dy, dx) in zip(X, out, shifts):
        np.testing.assert_array_equal(got, shift_by_loop(img, dy, dx))


def test_shifts_cover_the_range_uniformly_and_independently():
    X = np.zeros((20_000, 5, 5), dtype=np.uint8)
    _, shifts = random_shift(X, 2, rng=0, return_shifts=True)
    for axis in range(2):
        counts = np.bincount(shifts[:, axis] + 2, minlength=5)
        assert counts.min() > 0.18 * len(X) and counts.max() < 0.22 * len(X)   # ~1/5 each
    pairs = np.bincount((shifts[:, 0] + 2) * 5 + shifts[:, 1] + 2, minlength=25)
    assert pairs.min() > 0.03 * len(X)                                      # all 25 pairs


def test_no_wrap_around_and_zero_fill():
    X = np.ones((500, 6, 6), dtype=np.float32)
    out, shifts = random_shift(X, 2, rng=3, return_shifts=True)
    # the number of surviving pixels is (6 - |dy|) * (6 - |dx|); the rest are zeros
    kept = (6 - np.abs(shifts[:, 0])) * (6 - np.abs(shifts[:, 1]))
    np.testing.assert_array_equal(out.reshape(500, -1).sum(axis=1), kept)
    assert set(np.unique(out)) <= {0.0, 1.0}


def test_flattened_rows_and_uint8_and_input_untouched():
    X = images(n=30, h=5, w=5, seed=2)
    flat = X.reshape(30, 25).copy()
    before = flat.copy()
    out_flat = random_shift(flat, 2, rng=7)
    out_img = random_shift(X, 2, rng=7)
    assert out_flat.shape == (30, 25)
    np.testing.assert_array_equal(out_flat.reshape(30, 5, 5), out_img)   # same rng, same shifts
    np.testing.assert_array_equal(flat, before)                          # a new array
    assert not np.shares_memory(out_flat, flat)
    u8 = (X * 100).astype(np.uint8)
    assert random_shift(u8, 1, rng=0).dtype == np.uint8
    rect = np.random.default_rng(0).random((4, 12))
    out, s = random_shift(rect, 1, rng=0, image_shape=(3, 4), return_shifts=True)
    for img, got, (dy, dx) in zip(rect.reshape(4, 3, 4), out.reshape(4, 3, 4), s):
        np.testing.assert_array_equal(got, shift_by_loop(img, dy, dx))


def test_seeded_and_zero_shift():
    X = images()
    np.testing.assert_array_equal(random_shift(X, 2, rng=5), random_shift(X, 2, rng=5))
    assert not np.array_equal(random_shift(X, 2, rng=5), random_shift(X, 2, rng=6))
    gen = np.random.default_rng(0)
    first, second = random_shift(X, 2, gen), random_shift(X, 2, gen)   # the stream goes on
    assert not np.array_equal(first, second)
    same = random_shift(X, 0, rng=0)
    np.testing.assert_array_equal(same, X)
    assert same is not X


@pytest.mark.parametrize("bad, kwargs, match", [
    (np.zeros((3, 10)), {}, "cannot infer the image shape"),
    (np.zeros((3, 12)), {"image_shape": (3, 5)}, "has 15 pixels"),
    (np.zeros((3, 4, 4)), {"image_shape": (2, 8)}, "does not match"),
    (np.zeros((2, 1, 1, 4, 4)), {}, r"\(N, H, W\)"),
    (np.zeros((3, 4, 4)), {"max_shift": 4}, "out of the frame"),
])
def test_clear_errors(bad, kwargs, match):
    kwargs.setdefault("max_shift", 1)
    with pytest.raises(ValueError, match=match):
        random_shift(bad, rng=0, **kwargs)
    with pytest.raises(ValueError):
        random_shift(np.zeros((3, 4, 4)), -1, rng=0)


def test_random_shift_is_fast_enough():
    import time
    X = np.random.default_rng(0).random((10_000, 784)).astype(np.float32)
    start = time.perf_counter()
    random_shift(X, 2, rng=0)
    assert time.perf_counter() - start < 2.0       # about 0.1 s on one core: vectorised


# --- fit_augmented ----------------------------------------------------------------------
def small_problem():
    rng = np.random.default_rng(0)
    X = rng.random((200, 36)).astype(np.float32)
    y = (X.reshape(200, 6, 6)[:, :3].sum(axis=(1, 2)) > 9).astype(int)
    return X, y


def test_fit_augmented_equals_the_loop_it_replaces():
    X, y = small_problem()
    sched = nnlib.CosineDecay(0.01, 4)

    m1 = build_mlp(36, [16], 2, seed=0)
    h1 = fit_augmented(m1, X, y, augment=RandomShift(1), epochs=4, optimizer="adam",
                       lr=0.01, schedule=sched, batch_size=32, seed=3, progress=False,
                       validation_data=(X, y))

    m2 = build_mlp(36, [16], 2, seed=0)        # the same by hand: one fit per epoch
    opt = Adam(m2.parameters(), lr=0.01)
    rng = np.random.default_rng(3)
    h2 = History()
    for _ in range(4):
        fit(m2, random_shift(X, 1, rng), y, optimizer=opt, epochs=1, schedule=sched,
            batch_size=32, seed=rng, progress=False, history=h2, validation_data=(X, y))
    assert h1.epoch == [0, 1, 2, 3] == h2.epoch
    assert h1.train_loss == h2.train_loss and h1.val_acc == h2.val_acc
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p.value, q.value)
    assert h1.lr[-1] == pytest.approx(sched(4 - 1 / 7))      # the schedule saw the true epoch


def test_fit_augmented_changes_the_data_every_epoch():
    X, y = small_problem()
    seen = []

    def augment(X, rng):
        out = random_shift(X, 1, rng)
        seen.append(out)
        return out

    fit_augmented(build_mlp(36, [8], 2, seed=0), X, y, augment=augment, epochs=3, seed=0,
                  progress=False)
    assert len(seen) == 3
    assert not np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[1], seen[2])


def test_fit_augmented_early_stopping_across_epochs():
    X, y = small_problem()
    model = build_mlp(36, [16], 2, seed=0)
    stopper = EarlyStopping("val_loss", patience=2, restore_best=True)
    # lr so large that the validation loss soon stops improving
    h = fit_augmented(model, X, y, augment=RandomShift(1), epochs=60, optimizer="sgd",
                      lr=0.5, callbacks=[stopper], seed=0, progress=False,
                      validation_data=(X[:50], y[:50]))
    assert h.stopped_epoch is not None and h.stopped_epoch < 59
    assert h.stopped_epoch - h.best_epoch == 2
    assert h.best_epoch == int(np.argmin(h.val_loss))
    best_loss = nnlib.evaluate(model, X[:50], y[:50])[0]
    assert best_loss == pytest.approx(h.val_loss[h.best_epoch], rel=1e-5)   # weights restored


def test_fit_augmented_bad_arguments():
    X, y = small_problem()
    model = build_mlp(36, [4], 2, seed=0)
    with pytest.raises(TypeError, match="augment must be callable"):
        fit_augmented(model, X, y, augment=2, epochs=1, progress=False)
    with pytest.raises(ValueError, match="augment must return a float array of shape"):
        fit_augmented(model, X, y, augment=lambda X, rng: X[:10], epochs=1, progress=False)
    # the checks of fit itself apply: an optimizer of another model, a bad learning rate
    other = build_mlp(36, [4], 2, seed=1)
    with pytest.raises(ValueError, match="optimizer was created for other parameters"):
        fit_augmented(model, X, y, augment=RandomShift(1), optimizer=nnlib.Adam(other),
                      progress=False)
    before = [p.value.copy() for p in model.parameters()]
    opt = nnlib.Adam(model, lr=0.01)
    with pytest.raises(ValueError, match="lr"):
        fit_augmented(model, X, y, augment=RandomShift(1), optimizer=opt, lr=-1.0,
                      progress=False)
    assert opt.lr == 0.01
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, b)


def test_fit_augmented_is_fit_with_augment():
    """One loop: fit_augmented(...) and fit(..., augment=...) train identically."""
    X, y = small_problem()
    runs = []
    for call in (fit_augmented, nnlib.fit):
        model = build_mlp(36, [4], 2, seed=0)
        h = call(model, X, y, augment=RandomShift(1), epochs=3, seed=5, progress=False)
        runs.append(([p.value.copy() for p in model.parameters()], h.train_loss))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]


def test_shift_images_given_shifts():
    X = images(n=6, h=5, w=4)
    shifts = np.array([[0, 0], [1, -1], [-2, 3], [4, 0], [0, -3], [1, -1]])
    out = nnlib.augmentation.shift_images(X, shifts)
    for img, got, (dy, dx) in zip(X, out, shifts):
        np.testing.assert_array_equal(got, shift_by_loop(img, dy, dx))
    with pytest.raises(ValueError, match="integer array of shape"):
        nnlib.augmentation.shift_images(X, shifts[:5])
    with pytest.raises(ValueError, match="integer array of shape"):
        nnlib.augmentation.shift_images(X, shifts.astype(float))
    with pytest.raises(ValueError, match="out of the frame"):
        nnlib.augmentation.shift_images(X, shifts + [[5, 0]])


def test_channels_move_together():
    X = np.random.default_rng(4).random((10, 3, 6, 5)).astype(np.float32) + 0.5
    out, shifts = random_shift(X, 2, rng=8, return_shifts=True)
    assert out.shape == X.shape
    for img, got, (dy, dx) in zip(X, out, shifts):
        for channel, got_channel in zip(img, got):
            np.testing.assert_array_equal(got_channel, shift_by_loop(channel, dy, dx))


# ----------------------------------------------------------------------------- affine maps
from nnlib.augmentation import (  # noqa: E402
    RandomAffine,
    affine_images,
    random_affine,
    shift_images,
)


def _rotation(theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def _bilinear_by_hand(image, A, t):
    """One image, one pixel at a time: the definition in affine_images' docstring."""
    h, w = image.shape
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    inv = np.linalg.inv(A)
    out = np.zeros_like(image)
    for r in range(h):
        for c in range(w):
            y, x = inv @ (np.array([r, c]) - centre - t) + centre
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            total = 0.0
            for dy, dx in [(0, 0), (0, 1), (1, 0), (1, 1)]:
                i, j = y0 + dy, x0 + dx
                weight = (1 - abs(y - i)) * (1 - abs(x - j))
                if 0 <= i < h and 0 <= j < w and weight > 0:
                    total += weight * image[i, j]
            out[r, c] = total
    return out


def test_affine_images_match_the_definition_pixel_by_pixel():
    rng = np.random.default_rng(3)
    X = rng.random((4, 9, 8))
    A = np.stack([_rotation(a) * s @ np.array([[1, 0], [k, 1]])
                  for a, s, k in [(0.3, 1.1, 0.0), (-0.5, 0.9, 0.2), (2.0, 1.0, -0.3),
                                  (0.0, 1.3, 0.0)]])
    t = rng.uniform(-2, 2, (4, 2))
    out = affine_images(X, A, t)
    for n in range(4):
        np.testing.assert_allclose(out[n], _bilinear_by_hand(X[n], A[n], t[n]), atol=1e-12)


def test_affine_identity_integer_shift_and_quarter_turn_are_exact():
    rng = np.random.default_rng(4)
    X = rng.random((6, 2, 7, 7)).astype(np.float32)
    eye = np.tile(np.eye(2), (6, 1, 1))
    np.testing.assert_array_equal(affine_images(X, eye, np.zeros((6, 2))), X)
    shifts = rng.integers(-3, 4, (6, 2))
    np.testing.assert_array_equal(affine_images(X, eye, shifts.astype(float)),
                                  shift_images(X, shifts))
    quarter = affine_images(X, np.tile(_rotation(np.pi / 2), (6, 1, 1)), np.zeros((6, 2)))
    np.testing.assert_allclose(quarter, np.rot90(X, 1, axes=(2, 3)), atol=1e-6)  # counter-
    flat = X[:, 0].reshape(6, 49)                                             # clockwise
    np.testing.assert_array_equal(affine_images(flat, eye, shifts.astype(float)),
                                  shift_images(flat, shifts))


def test_random_affine_seeded_untouched_input_and_ranges():
    X = np.random.default_rng(5).random((50, 784)).astype(np.float32)
    copy = X.copy()
    a = random_affine(X, 10, 0.1, 0.2, 2, rng=7)
    np.testing.assert_array_equal(a, random_affine(X, 10, 0.1, 0.2, 2, rng=7))
    assert a.dtype == np.float32 and a.shape == X.shape
    np.testing.assert_array_equal(X, copy)
    assert not np.array_equal(a, random_affine(X, 10, 0.1, 0.2, 2, rng=8))
    np.testing.assert_array_equal(random_affine(X, 0, 0, 0, 0, rng=1), X)
    aug = RandomAffine(10, 0.1, 0.2, 2)
    np.testing.assert_array_equal(aug(X, np.random.default_rng(7)), a)
    assert "rotation=10" in repr(aug)
    # a zoom of at most 10 % keeps the ink of a centred blob within the expected bounds
    blob = np.zeros((200, 28, 28), np.float32)
    blob[:, 10:18, 10:18] = 1.0
    ink = random_affine(blob, 0, 0.1, 0, 0, rng=0).sum(axis=(1, 2))
    assert 64 * 0.9**2 - 1 < ink.min() and ink.max() < 64 * 1.1**2 + 1
    assert ink.max() - ink.min() > 10                      # the zooms differ


@pytest.mark.parametrize("call, match", [
    (lambda X: random_affine(X, rotation=-1), "rotation"),
    (lambda X: random_affine(X, scale=1.0), "scale < 1"),
    (lambda X: random_affine(X, shift=float("nan")), "shift"),
    (lambda X: affine_images(X, np.zeros((3, 2, 2)), np.zeros((3, 2))), "invertible"),
    (lambda X: affine_images(X, np.zeros((2, 2, 2)), np.zeros((3, 2))), "one per image"),
    (lambda X: affine_images((X * 255).astype(np.uint8), np.tile(np.eye(2), (3, 1, 1)),
                             np.zeros((3, 2))), "floating point"),
])
def test_affine_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.zeros((3, 16), np.float32))
