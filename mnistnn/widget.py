"""Draw a digit and watch the network read it: a Jupyter widget built on anywidget.

    from mnistnn.widget import DrawDigit
    DrawDigit(params)          # params of the series' network, e.g. mnistnn.load_params("models/06_final.npz")

A square canvas (mouse, touch or pen), a Clear button, and beside it the 28 x 28 image the network sees
and the probability of each digit, updated each time a stroke ends. The browser only draws: Python
prepares the drawing as MNIST's digits were prepared (:func:`mnistnn.drawing.prepare_drawing`) and runs
:func:`mnistnn.deep.forward` (any depth). An empty canvas shows "draw a digit".

It works wherever Jupyter widgets do (JupyterLab, Notebook 7, VS Code, Colab) with a running kernel.
Where widgets cannot be shown (a saved notebook, a static page, nbval's comparison) its plain-text form
stands in; that text depends only on the canvas size and the network's shape, so a notebook's stored
output stays the same run after run.

This module needs ``anywidget`` (in the ``notebooks`` extra); ``import mnistnn`` does not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._checks import check_layers
from .deep import forward
from .drawing import FRAME, EmptyDrawingError, prepare_drawing

try:
    import anywidget
    import traitlets
    from ipywidgets.widgets.trait_types import bytes_serialization
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "mnistnn.widget needs anywidget: install the notebooks extra "
        "(python -m pip install 'mnistnn[notebooks]') or anywidget itself"
    ) from error

__all__ = ["EMPTY_MESSAGE", "DrawDigit"]

EMPTY_MESSAGE = "draw a digit"
_HERE = Path(__file__).parent


def _check_network(params: object) -> tuple[int, ...]:
    """Check that params is a valid network of any depth (check_layers' messages) of 784 inputs and 10 outputs;
    its layer sizes."""
    sizes = check_layers(params)
    if sizes[0] != FRAME * FRAME or sizes[-1] != 10:
        raise ValueError(
            f"the widget needs a network that reads 28 x 28 = 784 pixels and scores 10 digits; "
            f"these params take {sizes[0]} inputs and give {sizes[-1]} outputs (layer sizes "
            f"{'-'.join(map(str, sizes))}). Pass the params of the series' network (notebook 04, 06 or 08)"
        )
    return sizes


class DrawDigit(anywidget.AnyWidget):
    """A canvas to draw a digit on; the network reads it each time a stroke ends.

    Parameters
    ----------
    params : dict
        The network's ``W1`` (h, 784), ``b1`` (h, 1), ``W2`` (10, h), ``b2`` (10, 1): any trained params
        of the series' network (notebook 04's, notebook 06's), or of a deeper one, ``W1, b1, ..., WL, bL`` with
        784 inputs and 10 outputs (notebook 08's).
    size : int
        Side of the square canvas in screen pixels (280 by default: 10 canvas pixels per MNIST pixel).
    pen_width : int
        Width of the pen in canvas pixels.

    Attributes
    ----------
    prediction : int
        The digit the network reads, or -1 while the canvas is empty.
    probabilities : list of float
        The 10 class probabilities, or an empty list while the canvas is empty.
    message : str
        What the widget says: "draw a digit", or the digit read and its probability.
    image : ndarray of shape (28, 28) or None
        The prepared image the network sees (property; None while the canvas is empty).
    """

    _esm = _HERE / "widget.js"
    _css = _HERE / "widget.css"

    size = traitlets.Int(280).tag(sync=True)
    pen_width = traitlets.Int(22).tag(sync=True)
    # The canvas's ink (alpha channel), size * size bytes row by row; empty bytes = a blank canvas.
    drawing = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    # The prepared 28 x 28 image as 784 bytes (0 background .. 255 ink), for display.
    image_bytes = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    probabilities = traitlets.List(traitlets.Float(), default_value=[]).tag(sync=True)
    prediction = traitlets.Int(-1).tag(sync=True)
    message = traitlets.Unicode(EMPTY_MESSAGE).tag(sync=True)

    def __init__(self, params: Mapping[str, np.ndarray], *, size: int = 280, pen_width: int = 22) -> None:
        self._shape = _check_network(params)
        if not isinstance(size, int) or size < FRAME:
            raise ValueError(f"size must be an int of at least {FRAME} (canvas pixels per side); got {size!r}")
        if not isinstance(pen_width, int) or pen_width < 1:
            raise ValueError(f"pen_width must be a positive int (canvas pixels); got {pen_width!r}")
        self._params = dict(params)
        self._image: np.ndarray | None = None
        super().__init__(size=size, pen_width=pen_width)

    def __repr__(self) -> str:
        # The plain-text stand-in (also what nbval compares): stable, no memory address, no model id.
        return (
            f"DrawDigit: a {self.size} x {self.size} canvas to draw a digit on; the network "
            f"({'-'.join(map(str, self._shape))}) reads it each time a stroke ends. "
            "(Live in JupyterLab, Notebook 7, VS Code or Colab with a running kernel.)"
        )

    @property
    def image(self) -> np.ndarray | None:
        """The 28 x 28 image the network sees, values in [0, 1]; None while the canvas is empty."""
        return None if self._image is None else self._image.copy()

    def read(self, canvas: np.ndarray) -> int:
        """Put a drawing on the canvas from Python, as if drawn, and return the digit the network reads.

        Parameters
        ----------
        canvas : ndarray of shape (size, size)
            Ink > 0 on a 0 background: uint8 0..255, floats in [0, 1] or booleans (as for
            :func:`mnistnn.drawing.prepare_drawing`).

        Returns
        -------
        int
            The digit read, or -1 if the canvas is empty.
        """
        if isinstance(canvas, np.ndarray) and canvas.ndim == 2 and canvas.shape != (self.size, self.size):
            raise ValueError(
                f"canvas must be the widget's size, ({self.size}, {self.size}); got shape "
                f"{canvas.shape}. Create the widget with DrawDigit(params, size=...) to match"
            )
        with contextlib.suppress(EmptyDrawingError):  # a blank canvas is fine: "draw a digit"
            prepare_drawing(canvas)  # checks the canvas, with its clear errors
        ink = np.asarray(canvas)
        if ink.dtype.kind == "f":
            ink = np.round(ink * 255)
        elif ink.dtype.kind == "b":
            ink = ink * 255
        self.drawing = ink.astype(np.uint8).tobytes()
        return self.prediction

    def clear(self) -> None:
        """Clear the canvas: the widget shows "draw a digit" again."""
        self.drawing = b""

    @traitlets.observe("drawing")
    def _read_drawing(self, change: dict) -> None:
        """A stroke has ended (or the canvas was cleared): prepare the drawing and run the network."""
        data = bytes(change["new"] or b"")
        if len(data) not in (0, self.size * self.size):
            self._show(None, message=f"the drawing has {len(data)} bytes; {self.size * self.size} were expected")
            return
        if not data:
            self._show(None)
            return
        canvas = np.frombuffer(data, dtype=np.uint8).reshape(self.size, self.size)
        try:
            image = prepare_drawing(canvas, dtype=self._params["W1"].dtype)
            AL, _ = forward(self._params, image.reshape(FRAME * FRAME, 1))  # (10, 1)
        except EmptyDrawingError:
            self._show(None)
            return
        except Exception as error:  # noqa: BLE001  shown in the widget, where the learner looks, not in a log
            self._show(None, message=f"could not read the drawing: {type(error).__name__}: {error}")
            return
        self._show(image, AL[:, 0])

    def _show(
        self, image: np.ndarray | None, probabilities: np.ndarray | None = None, *, message: str = EMPTY_MESSAGE
    ) -> None:
        """Set what the view shows: the prepared image and the probabilities, or the empty state."""
        self._image = image
        with self.hold_sync():
            if image is None or probabilities is None:
                self.image_bytes = b""
                self.probabilities = []
                self.prediction = -1
                self.message = message
                return
            digit = int(np.argmax(probabilities))
            self.image_bytes = np.round(image * 255).astype(np.uint8).tobytes()
            self.probabilities = [float(p) for p in probabilities]
            self.prediction = digit
            self.message = f"The network reads: {digit} ({probabilities[digit]:.1%})"
