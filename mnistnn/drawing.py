"""From a drawing to an MNIST-style image: the preparation MNIST's own digits went through.

MNIST's digits were not photographed as they are. LeCun, Cortes and Burges describe the preparation:
the black-and-white NIST scans were *size-normalised to fit in a 20 x 20 pixel box while preserving
their aspect ratio* (the anti-aliasing of that scaling made the grey levels), then *centred in a
28 x 28 image by their centre of mass*. A network trained on MNIST has only ever seen digits prepared
this way: a digit drawn small in a corner of a canvas looks nothing like them, even to a good network.
:func:`prepare_drawing` applies the same preparation to any drawing:

1. find the ink: the background is the level most of the canvas has, its median (0 on a drawing canvas,
   the paper's level on a scan); dark ink on light paper is inverted; a scan's grain (ink within four times
   the median deviation from the background, which is 0 on a clean canvas) is set to 0; the ink is scaled
   so that the strongest stroke is 1; then crop to the ink (the smallest rectangle holding every pixel with
   ink);
2. scale so that the longer side is 20 pixels, keeping the aspect ratio, by area averaging (each new
   pixel is the mean of the canvas area it covers: this is the anti-aliasing);
3. place the result in a 28 x 28 frame so that its centre of mass falls on pixel (14, 14), where
   MNIST's digits have theirs (measured on the training set: 14.00 +- 0.29 in rows and in columns);
4. values in [0, 1], 0 the background, as :func:`mnistnn.scale_pixels` gives for MNIST.

Pure NumPy; nothing here depends on the widget (:mod:`mnistnn.widget`), which uses it.
"""

from __future__ import annotations

import numpy as np

from ._checks import describe

FRAME = 28  # side of an MNIST image, in pixels
BOX = 20  # side of the box the digit is scaled to fit
CENTRE = 14  # row and column (0-based) where MNIST's digits have their centre of mass

GRAIN = 4  # ink within this many median deviations of the background is grain, not a stroke
MIN_CONTRAST = 0.2  # the strongest stroke must differ from the background by this much of the full range

__all__ = ["EmptyDrawingError", "prepare_drawing"]


class EmptyDrawingError(ValueError):
    """The canvas holds no clear stroke: there is nothing to read yet ("draw a digit").

    Raised by :func:`prepare_drawing` for a blank canvas, or one whose strongest stroke differs from the
    background by less than a fifth of the full range. The drawing widget shows "draw a digit" in this state
    instead of a prediction. A subclass of ``ValueError``.
    """


def _levels(canvas: object) -> np.ndarray:
    """Check a canvas and return its grey levels as float64 in [0, 1]."""
    _check_canvas_shape(canvas)
    kind = canvas.dtype.kind
    if kind == "b":
        return canvas.astype(np.float64)
    if kind == "u" and canvas.dtype.itemsize == 1:  # uint8 grey levels or alpha, 0..255
        return canvas.astype(np.float64) / 255.0
    if kind in "iu":
        low, high = int(canvas.min()), int(canvas.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"canvas holds integers from {low} to {high}; grey levels 0..255 are expected "
                "(0 = no ink). Rescale them, e.g. to floats in [0, 1]"
            )
        return canvas.astype(np.float64) / 255.0
    if kind == "f":
        if not np.isfinite(canvas).all():
            raise ValueError("canvas contains NaN or infinite values; ink must be finite, in [0, 1]")
        low, high = float(canvas.min()), float(canvas.max())
        if low < 0.0 or high > 1.0:
            hint = " (grey levels 0..255? divide by 255)" if low >= 0.0 and high <= 255.0 else ""
            raise ValueError(
                f"canvas holds floats from {low:g} to {high:g}; ink in [0, 1] is expected, 0 = no ink{hint}"
            )
        return canvas.astype(np.float64)
    raise TypeError(
        f"canvas must hold numbers (uint8 grey levels 0..255, floats in [0, 1], or booleans); got dtype {canvas.dtype}"
    )


def _check_canvas_shape(canvas: object) -> None:
    """A NumPy array of shape (height, width), at least 28 x 28; what else it looks like, said."""
    if not isinstance(canvas, np.ndarray):
        raise TypeError(
            f"canvas must be a NumPy array of shape (height, width), e.g. (280, 280), with ink > 0 "
            f"on a 0 background; got {describe(canvas)}. Convert it with np.asarray(canvas)"
        )
    if canvas.ndim != 2:
        if canvas.ndim == 3 and canvas.shape[-1] in (3, 4):
            hint = (
                " This looks like a colour image (height, width, channels): pass one channel, e.g. the "
                "alpha channel canvas[..., 3] of an RGBA drawing, or canvas[..., 0] of a scan (dark ink on "
                "light paper is recognised and inverted)"
            )
        elif canvas.ndim == 1 and round(canvas.size**0.5) ** 2 == canvas.size:
            side = round(canvas.size**0.5)
            hint = f" This looks like a flattened image: pass canvas.reshape({side}, {side})"
        else:
            hint = ""
        raise ValueError(
            f"canvas must be 2-D, shape (height, width), one grey level per pixel; got shape {canvas.shape}.{hint}"
        )
    if min(canvas.shape) < FRAME:
        raise ValueError(
            f"canvas must be at least {FRAME} x {FRAME} pixels (MNIST's own size; a drawing canvas "
            f"is usually larger, e.g. 280 x 280); got shape {canvas.shape}"
        )


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) whole-number weights that resample a line of n_in pixels to n_out by area averaging.

    New pixel i covers [i * s, (i + 1) * s) of the old line, s = n_in / n_out; its value is the mean of the old
    pixels over that interval, each weighted by how much of it is covered. Measured in units of 1 / n_out of an
    old pixel the overlaps are whole numbers, and every row sums to exactly n_in: dividing by n_in gives the
    mean, and a region of ink 1 comes out exactly 1 (whole numbers add up exactly in floating point).
    """
    start = np.arange(n_out)[:, None] * n_in  # (n_out, 1)  in units of 1 / n_out
    pixel = np.arange(n_in)[None, :] * n_out  # (1, n_in)
    overlap = np.minimum(start + n_in, pixel + n_out) - np.maximum(start, pixel)
    return np.clip(overlap, 0, None).astype(np.float64)  # (n_out, n_in), rows sum to n_in


def _strokes(levels: np.ndarray) -> np.ndarray:
    """The ink of a canvas of levels in [0, 1]: 0 on the background, 1 at the strongest stroke.

    The background is the level most of the canvas has (its median, which a scan's grain hardly moves); darker
    ink on a lighter background is inverted. The grain is measured by the median deviation from the background
    (0 on a clean drawing canvas): ink within four times it is set to 0. Raises EmptyDrawingError when no stroke
    stands out.
    """
    background = float(np.median(levels))  # a digit covers well under half of its canvas: the rest is background
    ink = np.clip(background - levels if background > 0.5 else levels - background, 0.0, None)
    strength = ink.max()
    if strength == 0:
        raise EmptyDrawingError(
            "the canvas is empty: draw a digit (every pixel has the background's level, so there is nothing to read)"
        )
    if strength < MIN_CONTRAST:
        raise EmptyDrawingError(
            f"the canvas holds no clear stroke: the strongest ink differs from the background "
            f"({background:.2f}) by only {strength:.2f} of the full range (at least {MIN_CONTRAST}"
            " is needed); draw a digit, or scan it with more contrast"
        )
    grain = GRAIN * float(np.median(np.abs(levels - background)))
    return np.where(ink > grain, ink / strength, 0.0)


def prepare_drawing(canvas: np.ndarray, *, dtype: type = np.float64) -> np.ndarray:
    """Turn a drawing into the 28 x 28 image the network expects, prepared as MNIST's digits were.

    Crop to the ink, scale the longer side to 20 pixels keeping the aspect ratio (area averaging, which
    anti-aliases), and place the result in a 28 x 28 frame with its centre of mass at pixel (14, 14).
    A digit drawn small, large or off-centre comes out the size and in the place MNIST's digits have.

    Parameters
    ----------
    canvas : ndarray of shape (height, width)
        The drawing, at least 28 x 28 (usually square, e.g. 280 x 280), as uint8 grey levels 0..255 (or the alpha
        channel of an RGBA canvas), floats in [0, 1] or booleans: light ink on a dark background (a drawing
        canvas: ink > 0 on 0), or dark ink on light paper (a scan), which is inverted.
    dtype : numpy float type
        Type of the result (float64 by default, like :func:`mnistnn.load_dataset`).

    Returns
    -------
    image : ndarray of shape (28, 28)
        Values in [0, 1], 0 the background, 1 the strongest stroke. ``image.reshape(784, 1)`` is one column
        for :func:`mnistnn.predict`.

    Raises
    ------
    EmptyDrawingError
        If the canvas holds no clear stroke (all background, or faint): nothing to read yet, "draw a digit".
    TypeError, ValueError
        If the canvas is not a 2-D array of at least 28 x 28 with values as above.

    Notes
    -----
    The longer side is scaled to 20 pixels whatever its size, as for MNIST: a single inked pixel (a dot)
    becomes a 20 x 20 square, which the network will read as *some* digit. A digit whose centre of mass
    lies far from the middle of its box is shifted only as far as keeps all of its ink in the frame.
    """
    ink = _strokes(_levels(canvas))
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # (h, w), the ink's bounding box

    # 20 pixels for the longer side; the shorter keeps the aspect ratio (at least 1 pixel).
    h, w = crop.shape
    longer = max(h, w)
    new_h = max(1, round(h * BOX / longer))
    new_w = max(1, round(w * BOX / longer))
    digit = (_area_weights(h, new_h) @ crop @ _area_weights(w, new_w).T) / (h * w)  # (new_h, new_w)

    # Centre of mass to (14, 14), by whole pixels, keeping the box inside the frame.
    mass = digit.sum()
    row_com = (digit.sum(axis=1) @ np.arange(new_h)) / mass
    col_com = (digit.sum(axis=0) @ np.arange(new_w)) / mass
    top = int(np.clip(round(CENTRE - row_com), 0, FRAME - new_h))
    left = int(np.clip(round(CENTRE - col_com), 0, FRAME - new_w))

    image = np.zeros((FRAME, FRAME), dtype=dtype)
    image[top : top + new_h, left : left + new_w] = np.clip(digit, 0.0, 1.0)
    return image
