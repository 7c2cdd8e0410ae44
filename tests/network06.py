"""Notebook 06's final network for the drawing tests, loaded or trained once per test session.

notebooks/models/06_final.npz (written by notebook 06) is used when it exists; otherwise the same
network is trained here, in float32 (about twice as fast as the notebook's float64, about 15 s on a
2-core machine), once per session however many tests ask for it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

import mnistnn

SAVED = Path(__file__).resolve().parent.parent / "notebooks" / "models" / "06_final.npz"


@functools.cache
def network06() -> tuple[dict[str, np.ndarray], str]:
    """Notebook 06's final params (784-800-10) and where they came from. Do not modify them."""
    if SAVED.exists():
        return mnistnn.load_params(SAVED), f"loaded from {SAVED.name}"
    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=np.float32)
    params = mnistnn.init_params(784, 800, 10, rng=np.random.default_rng(1), scheme="he", dtype=np.float32)
    final, _ = mnistnn.sgd(params, data.X_train, data.y_train, rng=np.random.default_rng(2), learning_rate=0.1,
                           momentum=0.9, lr_decay=0.75, batch_size=100, epochs=5)
    return final, "trained here in float32: notebooks/models/06_final.npz is absent"
