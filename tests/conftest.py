"""Shared fixtures. Keras runs on the JAX backend; figures are drawn off-screen."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import matplotlib
import numpy as np
import pytest
from hypothesis import settings

# In CI the property tests draw the same examples every run, so a failure there can be reproduced.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Off-screen drawing for this process only: an MPLBACKEND variable would leak into the kernels
# that nbval starts, and the notebooks' plt.show() would then display nothing.
matplotlib.use("Agg")

import mnistnn  # noqa: E402  after the backend is chosen
import mnistnn._checks  # noqa: E402


@pytest.fixture
def machine_with_8_gib(monkeypatch):
    """The memory checks see a machine of 8 GiB, whatever this one has: what a test expects must not depend on it."""
    monkeypatch.setattr(mnistnn._checks, "memory_bytes", lambda: 8 * 2**30)


@pytest.fixture(scope="session")
def mnist():
    """The bundled MNIST, loaded once: ((x_train, y_train), (x_test, y_test))."""
    return mnistnn.load_mnist()


@pytest.fixture(scope="session")
def small_data(mnist):
    """5,000 training and 2,000 validation images in the network's layout, seeded."""
    (x, y), _ = mnist
    (x_train, y_train), (x_val, y_val) = mnistnn.train_val_split(
        x[:7000], y[:7000], val_size=2000, rng=np.random.default_rng(0)
    )
    X_train = mnistnn.scale_pixels(mnistnn.flatten_images(x_train))
    X_val = mnistnn.scale_pixels(mnistnn.flatten_images(x_val))
    return X_train, y_train.astype(np.int64), X_val, y_val.astype(np.int64)
