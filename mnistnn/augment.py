"""Data augmentation for MNIST (notebook 08): new training images made from old ones by small shifts and rotations.

A digit moved by a pixel or turned by a few degrees is still the same digit, so every epoch can show the network
a new variation of each training image: it learns that the position and slant do not matter, and overfits less.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_images, check_rng

SIDE = 28  # MNIST images are 28 x 28 pixels, flattened row by row into columns of 784


def shift_and_rotate(
    X: np.ndarray, rng: np.random.Generator, *, max_shift: float = 2.0, max_degrees: float = 10.0
) -> np.ndarray:
    """Each image turned about its centre by a random angle, then shifted by a random offset, with bilinear
    interpolation (pixels from outside the image are 0, the background).

    Output pixel (r, c) takes the input's value at the point that the rotation and shift move onto it:
    ``(r0, c0) = R(-theta) (r - centre - dy, c - centre - dx) + centre``, read between the four pixels around it
    with weights that fall linearly with the distance. Each image draws its own angle theta, uniform in
    [-max_degrees, max_degrees], and its own offsets dx, dy, uniform in [-max_shift, max_shift] pixels.

    Parameters
    ----------
    X : ndarray of shape (784, m)
        Images scaled to [0, 1], one column per example (28 x 28 pixels, row by row).
    rng : numpy.random.Generator
        Draws the angles and offsets; the same seed gives the same images.
    max_shift : float
        Largest shift, in pixels, along each axis (>= 0).
    max_degrees : float
        Largest rotation, in degrees, either way (>= 0).

    Returns
    -------
    X_new : ndarray of shape (784, m)
        The moved images, a new array of X's dtype; X is not modified.
    """
    check_images(X, "X", n_features=SIDE * SIDE)
    check_rng(rng)
    for value, name in ((max_shift, "max_shift"), (max_degrees, "max_degrees")):
        if not (isinstance(value, (int, float)) and np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a number >= 0; got {value!r}")
    m = X.shape[1]
    theta = np.deg2rad(rng.uniform(-max_degrees, max_degrees, size=(m, 1)))  # (m, 1) one angle per image
    dy, dx = rng.uniform(-max_shift, max_shift, size=(2, m, 1))  # (m, 1) each
    centre = (SIDE - 1) / 2
    rows, cols = np.divmod(np.arange(SIDE * SIDE), SIDE)  # (784,) the output pixel of each entry of a column
    u, v = rows - centre - dy, cols - centre - dx  # (m, 784) relative to the centre, the shift undone
    cos, sin = np.cos(theta), np.sin(theta)
    r0, c0 = cos * u - sin * v + centre, sin * u + cos * v + centre  # (m, 784) the rotation undone
    top, left = np.floor(r0).astype(np.intp), np.floor(c0).astype(np.intp)
    fr, fc = (r0 - top).astype(X.dtype), (c0 - left).astype(X.dtype)  # distance past the top-left pixel
    # Pad by one pixel of background on every side, so that each of the four neighbours is inside or 0.
    images = np.zeros((m, SIDE + 2, SIDE + 2), dtype=X.dtype)
    images[:, 1:-1, 1:-1] = X.T.reshape(m, SIDE, SIDE)
    top, left = np.clip(top + 1, 0, SIDE), np.clip(left + 1, 0, SIDE)  # into the padded image
    outside = (r0 <= -1) | (r0 >= SIDE) | (c0 <= -1) | (c0 >= SIDE)  # no neighbour inside the image
    flat = images.reshape(m, -1)
    width = SIDE + 2
    corner = top * width + left  # (m, 784) index of the top-left neighbour
    value = (
        np.take_along_axis(flat, corner, axis=1) * (1 - fr) * (1 - fc)
        + np.take_along_axis(flat, corner + 1, axis=1) * (1 - fr) * fc
        + np.take_along_axis(flat, corner + width, axis=1) * fr * (1 - fc)
        + np.take_along_axis(flat, corner + width + 1, axis=1) * fr * fc
    )
    value[outside] = 0
    return value.T  # (784, m), one column per image (the layout of a batch that sgd gathers)
