"""A trained network for the drawing tests, loaded or trained once per test session.

notebooks/models/06_final.npz (notebook 06's final network, written by that notebook) is used when it exists;
otherwise a smaller network of the same kind is trained here in a few seconds (784-128-10, float32, 2 epochs,
about 97% on the test images: enough to tell a prepared drawing from an unprepared one), once per session
however many tests ask for it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

import mnistnn

SAVED = Path(__file__).resolve().parent.parent / "notebooks" / "models" / "06_final.npz"


@functools.cache
def trained_network() -> tuple[dict[str, np.ndarray], str]:
    """Trained params (784-h-10) and where they came from. Do not modify them."""
    if SAVED.exists():
        return mnistnn.load_params(SAVED), f"loaded from {SAVED.name}"
    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=np.float32)
    params = mnistnn.init_params(784, 128, 10, rng=np.random.default_rng(1), scheme="he", dtype=np.float32)
    final, _ = mnistnn.sgd(
        params,
        data.X_train,
        data.y_train,
        rng=np.random.default_rng(2),
        learning_rate=0.1,
        momentum=0.9,
        lr_decay=0.75,
        batch_size=100,
        epochs=2,
    )
    return final, "784-128-10 trained here for 2 epochs: notebooks/models/06_final.npz is absent"
