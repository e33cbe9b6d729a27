r"""Exercises of chapter 4, regularization.

=================================  ============================================================
name                               the learner writes
=================================  ============================================================
``ch04.elastic_net``               :math:`R = \lambda_1\lVert W\rVert_1 + \frac{\lambda_2}{2}\lVert W\rVert_2^2`
                                   and :math:`\partial R/\partial W = \lambda_1\operatorname{sign}(W) + \lambda_2 W`
``ch04.dropout_forward``           inverted dropout: :math:`x \odot m / (1-p)`, the mask drawn as nnlib does
``ch04.shift_image``               one image moved by :math:`(\delta_y, \delta_x)` pixels, zero fill
``ch04.early_stopping``            the epoch where patience runs out, and the best epoch
``ch04.lasso_threshold``           *investigate*: the smallest L1 strength that zeroes a linear model's weights
=================================  ============================================================

Each reference comes from ``nnlib`` itself (``regularizers``, ``layers.Dropout``,
``augmentation.shift_images``, ``training.EarlyStopping``); the lasso threshold's from
the optimality condition at :math:`w = 0`, :math:`\lambda \ge \lVert X^\top y\rVert_\infty / N`.
"""

from __future__ import annotations

import numpy as np

from ._core import register

# --------------------------------------------------------------------------- elastic net
elastic_net_ex = register(
    "ch04.elastic_net", title="the elastic-net penalty and its gradient",
    instructions="return the tuple (R, dR): the elastic-net penalty of W (lam1 times the L1 "
                 "norm plus lam2 times half the squared L2 norm, as in the chapter) and its "
                 "gradient with respect to W",
    hint="the penalty is one number, the gradient has the shape of W; the L2 part carries "
         "a factor 1/2 so that its gradient is lam2 * W",
    output_names=("R", "dR"))


@elastic_net_ex.inputs
def _elastic_net_inputs(rng):
    cases = []
    for shape, lam1, lam2 in [((4, 3), 0.1, 0.5), ((6, 5), 0.03, 2.0), ((3, 7), 0.7, 0.2)]:
        W = rng.standard_normal(shape)
        cases.append((W, lam1, lam2))
    W = cases[-1][0].copy()
    W[0, :3] = 0.0                      # the subgradient 0 at exactly zero
    cases[-1] = (W, 0.7, 0.2)
    return cases


@elastic_net_ex.reference
def _elastic_net_reference(W, lam1, lam2):
    from nnlib.regularizers import ElasticNet
    reg = ElasticNet(l1=lam1, l2=lam2)
    return reg.value(W), reg.gradient(W)


@elastic_net_ex.solution
def elastic_net(W, lam1, lam2):
    R = lam1 * np.abs(W).sum() + lam2 / 2 * (W ** 2).sum()
    dR = lam1 * np.sign(W) + lam2 * W
    return R, dR


@elastic_net_ex.mistake("the L2 part is lam2 / 2 * sum(W**2): without the 1/2 the penalty "
                        "no longer matches its gradient lam2 * W")
def _elastic_net_no_half(W, lam1, lam2):
    return lam1 * np.abs(W).sum() + lam2 * (W ** 2).sum(), lam1 * np.sign(W) + lam2 * W


@elastic_net_ex.mistake("the derivative of |w| is sign(w) (+1 or -1, 0 at 0), not w "
                        "itself: the L1 pull has a constant size")
def _elastic_net_l1_grad_is_w(W, lam1, lam2):
    return (lam1 * np.abs(W).sum() + lam2 / 2 * (W ** 2).sum(),
            lam1 * W + lam2 * W)


@elastic_net_ex.mistake("the derivative of |w| is sign(w): -1 for a negative weight, +1 for "
                        "a positive one, so the pull always points towards zero")
def _elastic_net_l1_grad_ones(W, lam1, lam2):
    return (lam1 * np.abs(W).sum() + lam2 / 2 * (W ** 2).sum(),
            lam1 * np.ones_like(W) + lam2 * W)


# --------------------------------------------------------------------------- dropout forward
dropout_ex = register(
    "ch04.dropout_forward", title="inverted dropout in training mode",
    instructions="apply inverted dropout in training mode: drop each unit of x with "
                 "probability p, with the mask drawn as nnlib.Dropout draws it, keep = "
                 "np.random.default_rng(seed).random(x.shape) < 1 - p, and scale the kept "
                 "units so that the expected output equals x",
    hint="a unit is kept with probability q = 1 - p (the random number is below q), and the "
         "kept units are divided by q so that the expected output equals x")


@dropout_ex.inputs
def _dropout_inputs(rng):
    return [(rng.standard_normal((5, 8)), 0.5, 11),
            (rng.standard_normal((16, 4)), 0.2, 12),
            (rng.standard_normal((3, 30)), 0.7, 13)]


@dropout_ex.reference
def _dropout_reference(x, p, seed):
    from nnlib.layers import Dropout
    return Dropout(p, seed=seed).forward(np.asarray(x, dtype=np.float64))


@dropout_ex.solution
def dropout_forward(x, p, seed):
    rng = np.random.default_rng(seed)
    keep = rng.random(x.shape) < 1 - p          # True with probability q = 1 - p
    return x * keep / (1 - p)


@dropout_ex.mistake("inverted dropout scales the kept units by 1 / (1 - p) during training, "
                    "so that nothing changes at test time")
def _dropout_no_scale(x, p, seed):
    keep = np.random.default_rng(seed).random(x.shape) < 1 - p
    return x * keep


@dropout_ex.mistake("p is the probability of DROPPING a unit: keep where the random number "
                    "is below 1 - p, and divide by 1 - p, not by p")
def _dropout_p_is_keep(x, p, seed):
    keep = np.random.default_rng(seed).random(x.shape) < p
    return x * keep / p


@dropout_ex.mistake("divide the kept units by the keep probability 1 - p; multiplying by it "
                    "is the old test-time rescaling, the opposite of inverted dropout")
def _dropout_multiply(x, p, seed):
    keep = np.random.default_rng(seed).random(x.shape) < 1 - p
    return x * keep * (1 - p)


# --------------------------------------------------------------------------- shift an image
shift_ex = register(
    "ch04.shift_image", title="shifting an image with zero fill",
    instructions="return a new array out of img's shape with out[r, c] = img[r - dy, c - dx] "
                 "where that pixel lies inside img, and 0 elsewhere (no wrap-around)",
    hint="a positive dy moves the content down, a positive dx to the right; start from "
         "np.zeros_like(img) and copy one rectangle with slices")


@shift_ex.inputs
def _shift_inputs(rng):
    return [(rng.random((6, 5)) + 0.1, 1, 2),
            (rng.random((8, 8)) + 0.1, -2, 3),
            (rng.random((7, 9)) + 0.1, 3, -1),
            (rng.random((5, 5)) + 0.1, 0, -4)]


@shift_ex.reference
def _shift_reference(img, dy, dx):
    from nnlib.augmentation import shift_images
    return shift_images(img[None], np.array([[dy, dx]]))[0]


@shift_ex.solution
def shift_image(img, dy, dx):
    h, w = img.shape
    out = np.zeros_like(img)
    r0, r1 = max(dy, 0), h + min(dy, 0)       # destination rows [r0, r1)
    c0, c1 = max(dx, 0), w + min(dx, 0)       # destination columns [c0, c1)
    out[r0:r1, c0:c1] = img[r0 - dy:r1 - dy, c0 - dx:c1 - dx]
    return out


@shift_ex.mistake("np.roll wraps around: what leaves the frame on one side comes back on the "
                  "other. Fill the uncovered border with zeros instead")
def _shift_roll(img, dy, dx):
    return np.roll(img, (dy, dx), axis=(0, 1))


@shift_ex.mistake("the shift goes the wrong way: out[r, c] = img[r - dy, c - dx], so a "
                  "positive dy moves the content down")
def _shift_backwards(img, dy, dx):
    return _shift_reference(img, -dy, -dx)


@shift_ex.mistake("rows are the first axis (dy) and columns the second (dx): the two "
                  "shifts are swapped")
def _shift_swapped(img, dy, dx):
    return _shift_reference(img, dx, dy)


# --------------------------------------------------------------------------- early stopping
early_ex = register(
    "ch04.early_stopping", title="early stopping with patience",
    instructions="given the validation losses of epochs 0, 1, 2, ... and the patience, return "
                 "(stop_epoch, best_epoch): training stops after the epoch at which the loss "
                 "has not improved (strictly decreased below the best so far) for `patience` "
                 "epochs in a row, or after the last epoch if that never happens",
    hint="keep the best loss so far and a counter of epochs without improvement: reset it "
         "on a new best, stop when it reaches patience",
    output_names=("stop_epoch", "best_epoch"))


@early_ex.inputs
def _early_inputs(rng):
    cases = []
    for n, patience, turn in [(30, 3, 12), (25, 5, 8), (40, 2, 20)]:
        t = np.arange(n, dtype=float)
        curve = 1.0 + 0.002 * (t - turn) ** 2 + 0.01 * rng.standard_normal(n)   # a U shape
        cases.append((curve, patience))
    flat = np.array([1.0, 0.8, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.5])   # ties: no improvement
    cases.append((flat, 3))
    cases.append((np.linspace(2.0, 1.0, 12), 4))                         # never stops
    return cases


@early_ex.reference
def _early_reference(val_losses, patience):
    from nnlib.training import EarlyStopping, History
    stopper = EarlyStopping("val_loss", patience=patience, restore_best=False)
    history = History()
    stopper.on_train_begin(None)
    stop = len(val_losses) - 1
    for epoch, loss in enumerate(val_losses):
        history.val_loss.append(float(loss))
        if stopper.on_epoch_end(epoch, history, None):
            stop = epoch
            break
    stopper.on_train_end(None, history)
    return np.array(stop), np.array(history.best_epoch)


@early_ex.solution
def early_stopping(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


@early_ex.mistake("an equal loss is not an improvement: use a strict `loss < best`, or a "
                  "plateau keeps training going forever")
def _early_ties_improve(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


@early_ex.mistake("off by one: stop as soon as `patience` epochs in a row brought no "
                  "improvement (wait >= patience), not one epoch later")
def _early_off_by_one(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait > patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


@early_ex.mistake("the counter must restart at 0 after every new best: it counts epochs "
                  "without improvement IN A ROW")
def _early_no_reset(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


# --------------------------------------------------------------------------- lasso threshold
lasso_ex = register(
    "ch04.lasso_threshold", title="the L1 strength that zeroes every weight",
    instructions="X (N, d) and y (N,) define the linear model's loss "
                 "L(w) = sum((X @ w - y)**2) / (2 N) + lam * sum(|w|). Return the smallest lam "
                 "for which w = 0 minimises it, so that every weight is exactly zero. Find it by "
                 "experiment or by derivation, to 1 %",
    hint="eq-ch4-shrink for one weight says: zero when the loss's pull on the weight is at "
         "most lam. With several weights look at w = 0 itself: there the data loss has "
         "gradient -X.T @ y / N, and the penalty can cancel a component of size up to lam",
    rtol=0.01, atol=0.0)


@lasso_ex.inputs
def _lasso_inputs(rng):
    cases = []
    for n, d in [(20, 1), (50, 3), (40, 6), (100, 10)]:
        X = rng.standard_normal((n, d))
        X[:, -1] += 0.8 * X[:, 0]                    # correlated features
        w = rng.standard_normal(d) * (rng.random(d) < 0.6)
        y = X @ w + 0.3 * rng.standard_normal(n)
        cases.append((X, y - 1.5 if d == 6 else y))  # one whose largest |.| is negative
    return cases


@lasso_ex.reference
def _lasso_reference(X, y):
    return float(np.max(np.abs(X.T @ y)) / len(y))


@lasso_ex.solution
def lasso_threshold(X, y):
    # w = 0 is optimal when the penalty's subgradient, anything in [-lam, lam] per weight,
    # can cancel the data loss's gradient there, -X.T @ y / N: every |component| <= lam.
    return float(np.max(np.abs(X.T @ y)) / len(y))


@lasso_ex.mistake("the data loss is an average: its gradient at w = 0 is -X.T @ y / N, "
                  "divide by N")
def _lasso_no_n(X, y):
    return float(np.max(np.abs(X.T @ y)))


@lasso_ex.mistake("the loss has a factor 1/2, so its gradient is -X.T @ y / N, not twice that")
def _lasso_twice(X, y):
    return float(2 * np.max(np.abs(X.T @ y)) / len(y))


@lasso_ex.mistake("a weight whose gradient is negative is pulled just as hard: take the "
                  "largest ABSOLUTE value of the components")
def _lasso_no_abs(X, y):
    return float(np.max(X.T @ y) / len(y))


@lasso_ex.mistake("every weight must be zero, so lam must beat the LARGEST component of the "
                  "gradient, not their norm or mean")
def _lasso_norm(X, y):
    return float(np.linalg.norm(X.T @ y) / len(y))


@lasso_ex.mistake("with several correlated features the one-weight rule per feature, "
                  "|least-squares weight| * curvature, is not the condition: look at the "
                  "gradient at w = 0")
def _lasso_per_feature_ols(X, y):
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    return float(np.max(np.abs(w) * np.sum(X ** 2, axis=0) / len(y)))
