"""mnistnn.widget.DrawDigit on the Python side: what it shows for a drawing, an empty canvas, bad input.

The browser side (drawing with pointer events in JupyterLab) is tested in test_widget_browser.py.
"""

import numpy as np
import pytest
from trained_network import trained_network

import mnistnn

pytest.importorskip("anywidget", reason="the widget needs anywidget (the notebooks extra)")

from mnistnn.widget import EMPTY_MESSAGE, DrawDigit


@pytest.fixture
def small_params():
    return mnistnn.init_params(784, 16, 10, rng=np.random.default_rng(0), scheme="he")


def test_plain_text_form_is_stable_for_nbval(small_params):
    first, second = DrawDigit(small_params), DrawDigit(small_params, size=140)
    data, _ = first._repr_mimebundle_()
    assert data["text/plain"] == repr(first) == repr(DrawDigit(small_params))  # no address, no model id
    assert repr(first).startswith("DrawDigit: a 280 x 280 canvas") and "(784-16-10)" in repr(first)
    assert "140 x 140" in repr(second) and "0x" not in repr(first)
    assert "application/vnd.jupyter.widget-view+json" in data  # live where widgets are shown


def test_an_empty_canvas_says_draw_a_digit(small_params):
    widget = DrawDigit(small_params)
    assert (widget.message, widget.prediction, widget.probabilities, widget.image) == (EMPTY_MESSAGE, -1, [], None)
    assert widget.read(np.zeros((280, 280), np.uint8)) == -1
    assert widget.message == "draw a digit" and widget.image_bytes == b""


def test_it_reads_a_digit_drawn_small_and_off_centre(mnist):
    params, _ = trained_network()
    _, (x_test, y_test) = mnist
    widget = DrawDigit(params)
    for i in range(5):
        canvas = np.zeros((280, 280), dtype=np.uint8)
        canvas[150:262, 10:122] = np.kron(x_test[i], np.ones((4, 4), dtype=np.uint8))  # small, bottom left
        assert widget.read(canvas) == y_test[i]
        assert widget.message.startswith(f"The network reads: {y_test[i]} (")
        assert len(widget.probabilities) == 10 and sum(widget.probabilities) == pytest.approx(1.0, abs=1e-5)
        assert widget.image.shape == (28, 28) and len(widget.image_bytes) == 784
        np.testing.assert_array_equal(widget.image, mnistnn.drawing.prepare_drawing(canvas).astype(widget.image.dtype))
    widget.clear()
    assert (widget.message, widget.prediction, widget.probabilities) == (EMPTY_MESSAGE, -1, [])


def test_a_stroke_from_the_browser_arrives_as_bytes(small_params):
    widget = DrawDigit(small_params, size=56)
    canvas = np.zeros((56, 56), dtype=np.uint8)
    canvas[5:50, 25:30] = 255
    widget.drawing = canvas.tobytes()  # what the view sends when a stroke ends
    expected = mnistnn.predict(small_params, mnistnn.drawing.prepare_drawing(canvas).reshape(784, 1))[0]
    assert widget.prediction == expected
    widget.drawing = b"\x00" * 10  # a corrupted message: said, not raised
    assert widget.prediction == -1 and "3136 were expected" in widget.message


def _network(**changes):
    params = mnistnn.init_params(784, 4, 10, rng=np.random.default_rng(0))
    return {**params, **changes}


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ("weights.npz", TypeError, "keys W1, b1, W2, b2"),
        ({"W1": np.zeros((4, 784)), "W2": np.zeros((10, 4))}, ValueError, r"missing \['b1', 'b2'\]"),
        (_network(W1=np.full((4, 784), np.nan)), ValueError, r"params\['W1'\] contains NaN"),
        (_network(W2=np.zeros((10, 4), np.float16)), TypeError, "float16, which keeps only about 3 significant digits"),
        (_network(b1=np.zeros(4)), ValueError, r"pass b1.reshape\(-1, 1\)"),
    ],
)
def test_params_are_checked_when_the_widget_is_made_with_check_params_messages(params, error, message):
    with pytest.raises(error, match=message):
        DrawDigit(params)
    with pytest.raises(error, match=message):
        mnistnn.predict(params, np.zeros((784, 1)))  # the same message as everywhere else


def test_an_error_while_reading_is_shown_in_the_widget(small_params, monkeypatch):
    widget = DrawDigit(small_params)

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(mnistnn.widget, "forward", broken)
    canvas = np.zeros((280, 280), np.uint8)
    canvas[100:200, 130:150] = 255
    assert widget.read(canvas) == -1
    assert widget.message == "could not read the drawing: RuntimeError: out of memory"


def test_a_network_of_another_shape_is_refused_and_any_depth_is_read():
    params = mnistnn.init_params(100, 8, 10, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="784 pixels and scores 10 digits; these params take 100 inputs"):
        DrawDigit(params)
    deeper = mnistnn.init_params(784, 16, 8, 10, rng=np.random.default_rng(0))
    widget = DrawDigit(deeper)
    assert "the network (784-16-8-10) reads it" in repr(widget)
    canvas = np.zeros((280, 280))
    canvas[60:220, 130:150] = 1.0
    assert widget.read(canvas) == mnistnn.predict(deeper, widget.image.reshape(784, 1))[0]


def test_canvas_errors(small_params):
    widget = DrawDigit(small_params)
    with pytest.raises(ValueError, match=r"the widget's size, \(280, 280\); got shape \(28, 28\)"):
        widget.read(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="divide by 255"):
        widget.read(np.full((280, 280), 255.0))
    with pytest.raises(ValueError, match="size must be an int of at least 28"):
        DrawDigit(small_params, size=20)
