"""mnistnn.drawing: a drawing prepared as MNIST's digits were (crop, scale to 20 px, centre of mass to 14, 14)."""

import numpy as np
import pytest
from browser import artifact_path
from trained_network import trained_network

import mnistnn
from mnistnn.drawing import EmptyDrawingError, prepare_drawing

ZOOM = 4  # canvas pixels per MNIST pixel in the shifted/scaled test canvases (112 x 112)
N_DIGITS = 400


def _resampling(s: float, t: float) -> np.ndarray:
    """(28 * ZOOM, 28) bilinear weights: a line of a digit scaled by s about its middle and moved by t."""
    p = (np.arange(28 * ZOOM) + 0.5) / ZOOM  # canvas pixel centres, in MNIST pixels
    q = (p - 14 - t) / s + 14 - 0.5  # where they come from in the digit (pixel index)
    return np.clip(1 - np.abs(q[:, None] - np.arange(28)[None, :]), 0, None)


def shifted_scaled_canvas(digit: np.ndarray, s: float, ty: float, tx: float) -> np.ndarray:
    """The digit scaled by s and moved by (ty, tx) MNIST pixels on a (112, 112) canvas, values in [0, 1].

    The move is cut short where it would push ink off the canvas (ink drawn off a canvas is lost to any
    preparation, which is not what this measures).
    """
    rows = np.flatnonzero(digit.any(axis=1))
    cols = np.flatnonzero(digit.any(axis=0))
    ty = float(np.clip(ty, -(14 + s * (rows[0] - 14)), 28 - (14 + s * (rows[-1] + 1 - 14))))
    tx = float(np.clip(tx, -(14 + s * (cols[0] - 14)), 28 - (14 + s * (cols[-1] + 1 - 14))))
    return np.clip(_resampling(s, ty) @ digit @ _resampling(s, tx).T, 0.0, 1.0)


def test_conversion_reads_shifted_and_scaled_digits_as_well_as_the_originals(mnist):
    """400 test digits, scaled by 0.6-1.4 and moved by up to 6 pixels, then prepared: read as well as
    the untouched originals by a trained network; without the preparation, far worse."""
    params, origin = trained_network()
    _, (x_test, y_test) = mnist
    digits = x_test[:N_DIGITS].astype(np.float64) / 255
    labels = y_test[:N_DIGITS].astype(np.int64)
    rng = np.random.default_rng(0)
    raw, prepared = [], []
    for digit in digits:
        s = rng.uniform(0.6, 1.4)
        ty, tx = rng.uniform(-6, 6, size=2)
        canvas = shifted_scaled_canvas(digit, s, ty, tx)  # (112, 112)
        raw.append(canvas.reshape(28, ZOOM, 28, ZOOM).mean(axis=(1, 3)))  # the canvas merely resized
        prepared.append(prepare_drawing(canvas))

    def accuracy(images):
        X = np.stack(images).reshape(len(images), 784).T.astype(params["W1"].dtype)  # (784, m)
        return mnistnn.accuracy(labels, mnistnn.predict(params, X))

    original, unprepared, converted = accuracy(list(digits)), accuracy(raw), accuracy(prepared)
    report = (
        f"the network ({origin}), {N_DIGITS} MNIST test digits:\n"
        f"  originals                                    {original:.1%}\n"
        f"  scaled 0.6-1.4, moved up to 6 px, resized     {unprepared:.1%}\n"
        f"  the same, prepared by prepare_drawing         {converted:.1%}\n"
    )
    print(report)
    artifact_path("drawing_figures.txt").write_text(report)
    assert unprepared < original - 0.2, "the shifted/scaled digits should be hard to read without preparation"
    assert converted >= original, report


def test_an_mnist_digit_comes_back_in_mnist_form(mnist):
    (x, _), _ = mnist
    digit = x[0]
    image = prepare_drawing(digit)
    assert image.shape == (28, 28) and image.dtype == np.float64
    assert image.min() == 0.0 and 0.9 < image.max() <= 1.0
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == 20  # longer side: 20 pixels
    i = np.arange(28)
    assert abs(image.sum(axis=1) @ i / image.sum() - 14) <= 0.5  # centre of mass at (14, 14)
    assert abs(image.sum(axis=0) @ i / image.sum() - 14) <= 0.5
    assert np.abs(image - digit / 255).mean() < 0.05  # hardly changed: already prepared


def test_where_and_how_large_the_digit_is_drawn_does_not_matter(mnist):
    (x, _), _ = mnist
    big = np.kron(x[1], np.ones((5, 5), dtype=np.uint8))  # (140, 140): drawn 5 times larger
    first = np.zeros((280, 280), dtype=np.uint8)
    first[:140, :140] = big
    second = np.zeros((280, 280), dtype=np.uint8)
    second[130:270, 97:237] = big
    np.testing.assert_array_equal(prepare_drawing(first), prepare_drawing(second))
    small = np.zeros((280, 280), dtype=np.uint8)
    small[200:228, 10:38] = x[1]
    np.testing.assert_allclose(prepare_drawing(first), prepare_drawing(small), atol=1e-12)


def test_aspect_ratio_is_kept():
    canvas = np.zeros((280, 280), dtype=np.float64)
    canvas[40:240, 100:150] = 1.0  # 200 x 50 ink
    image = prepare_drawing(canvas)
    assert (image > 0).sum(axis=0).max() == 20 and (image > 0).sum(axis=1).max() == 5
    assert image.max() == 1.0


def test_grey_levels_floats_and_booleans_agree():
    ink = np.zeros((56, 56), dtype=bool)
    ink[10:40, 20:26] = True
    expected = prepare_drawing(ink)
    np.testing.assert_array_equal(prepare_drawing(ink.astype(np.uint8) * 255), expected)
    np.testing.assert_array_equal(prepare_drawing(ink.astype(np.float32)), expected)
    np.testing.assert_array_equal(prepare_drawing(ink.astype(np.int64) * 255), expected)
    assert prepare_drawing(ink, dtype=np.float32).dtype == np.float32


def test_a_scanned_digit_with_grain_is_prepared_as_the_clean_drawing(mnist):
    """Dark ink on light paper with a noise floor: the background is its most common level, the grain is not ink."""
    _, (x_test, _) = mnist
    clean = np.kron(x_test[0].astype(np.float64) / 255, np.ones((4, 4)))  # (112, 112), ink 1 on 0
    grain = np.random.default_rng(0).uniform(0, 0.1, size=clean.shape)
    paper = 0.9  # light grey paper
    scan = np.clip(paper - 0.8 * clean - grain * (clean == 0), 0, 1)  # dark ink, grainy background
    rounded = np.round(scan * 255).astype(np.uint8)  # as a scanner stores it
    expected = prepare_drawing(clean)

    def box(image):
        rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
        return rows[0], rows[-1], cols[0], cols[-1]

    for canvas in (scan, rounded):
        image = prepare_drawing(canvas)
        assert image.max() == 1.0 and box(image) == box(expected)  # the same size and place
        difference = np.abs(image - expected)
        assert difference.mean() < 0.01 and difference.max() < 0.3  # only faint edge pixels differ


def test_black_ink_on_white_is_inverted_not_read_as_a_block():
    ink = np.zeros((280, 280))
    ink[40:240, 120:150] = 1.0
    white = 1.0 - ink  # black stroke on white
    np.testing.assert_array_equal(prepare_drawing(white), prepare_drawing(ink))
    assert (prepare_drawing(white) > 0).sum() < 0.5 * 20 * 20  # a stroke, not a 20 x 20 block


@pytest.mark.parametrize("faint", [0.05, 0.19])
def test_a_canvas_with_no_clear_stroke_is_refused(faint):
    canvas = np.full((100, 100), 0.3)
    canvas[20:80, 45:55] += faint
    with pytest.raises(EmptyDrawingError, match="no clear stroke"):
        prepare_drawing(canvas)


@pytest.mark.parametrize("canvas", [np.zeros((280, 280), np.uint8), np.zeros((28, 40)), np.zeros((30, 30), bool)])
def test_an_empty_canvas_is_the_draw_a_digit_state(canvas):
    with pytest.raises(EmptyDrawingError, match="draw a digit"):
        prepare_drawing(canvas)
    assert issubclass(EmptyDrawingError, ValueError)


def test_a_single_pixel_of_ink_becomes_a_centred_block():
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[3, 270] = 255
    image = prepare_drawing(canvas)
    assert image.sum() == pytest.approx(400) and image.max() == pytest.approx(1.0)  # 20 x 20, MNIST's rule
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (4, 23, 4, 23)
    params = mnistnn.init_params(784, 4, 10, rng=np.random.default_rng(0))
    assert mnistnn.predict(params, image.reshape(784, 1)).shape == (1,)  # the network still answers


@pytest.mark.parametrize(
    ("canvas", "error", "message"),
    [
        ([[0, 1], [1, 0]], TypeError, r"np.asarray\(canvas\)"),
        (np.zeros((280, 280, 4), np.uint8), ValueError, r"alpha channel canvas\[\.\.\., 3\]"),
        (np.zeros(784), ValueError, r"canvas.reshape\(28, 28\)"),
        (np.zeros((2, 28, 28)), ValueError, r"must be 2-D"),
        (np.zeros((20, 20)), ValueError, r"at least 28 x 28"),
        (np.zeros((27, 300)), ValueError, r"got shape \(27, 300\)"),
        (np.full((28, 28), 200.0), ValueError, r"divide by 255"),
        (np.full((28, 28), -0.5), ValueError, r"ink in \[0, 1\]"),
        (np.full((28, 28), np.nan), ValueError, r"NaN"),
        (np.full((28, 28), 300), ValueError, r"0\.\.255"),
        (np.zeros((28, 28), complex), TypeError, r"uint8 grey levels"),
        (np.zeros((28, 28), "U1"), TypeError, r"got dtype <U1"),
    ],
)
def test_clear_errors(canvas, error, message):
    with pytest.raises(error, match=message):
        prepare_drawing(canvas)
