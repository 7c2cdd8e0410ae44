"""The series' named training configurations, defined once: the CLI, the notebooks, the benchmark and the docs use them.

>>> import numpy as np, mnistnn
>>> from mnistnn.recipes import FINAL
>>> data = mnistnn.load_dataset(rng=np.random.default_rng(0))
>>> params = FINAL.init_params(rng=np.random.default_rng(1))
>>> trained, history = FINAL.train(params, data.X_train, data.y_train, rng=np.random.default_rng(2))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .augment import shift_and_rotate
from .model import Params, init_params
from .params_io import load_params
from .train import History, Progress, gradient_descent, sgd

BUNDLED = Path(__file__).parent / "bundled"  # what ships inside the package: MNIST, the record recipe's params


@dataclass(frozen=True)
class Recipe:
    """A network of 784 inputs and 10 outputs, and how to train it.

    Full-batch gradient descent when ``iterations`` is set, mini-batch SGD (momentum or Adam, learning-rate decay,
    and notebook 08's regularisers: L2, dropout, augmentation, early stopping) when ``epochs`` is set.
    ``n_hidden`` is one hidden layer's size, or a tuple of sizes for several hidden layers.
    """

    name: str
    n_hidden: int | tuple[int, ...]
    scheme: str
    learning_rate: float
    iterations: int | None = None
    epochs: int | None = None
    batch_size: int | None = None
    momentum: float = 0.0
    lr_decay: float = 1.0
    optimizer: str = "momentum"
    l2: float = 0.0
    keep: float = 1.0
    augment: bool = False  # shift_and_rotate's random shifts (up to 2 pixels) and rotations (up to 10 degrees)
    patience: int | None = None
    dtype: str = "float64"

    def __post_init__(self) -> None:
        if (self.iterations is None) == (self.epochs is None):
            raise ValueError("a recipe sets either iterations (full-batch gradient descent) or epochs (SGD)")
        if self.epochs is not None and self.batch_size is None:
            raise ValueError("a mini-batch SGD recipe needs a batch_size")
        sgd_only = self.optimizer != "momentum" or self.l2 or self.keep != 1 or self.augment or self.patience
        if self.iterations is not None and (sgd_only or len(self.sizes) != 3):
            raise ValueError("full-batch gradient descent trains one hidden layer, without notebook 08's options")

    @property
    def sizes(self) -> tuple[int, ...]:
        """The layer sizes, inputs first: (784, n_1, ..., 10)."""
        hidden = self.n_hidden if isinstance(self.n_hidden, tuple) else (self.n_hidden,)
        return (784, *hidden, 10)

    def __str__(self) -> str:
        network = f"{'-'.join(map(str, self.sizes))}, {self.scheme} init, learning rate {self.learning_rate:g}"
        if self.iterations is not None:
            return f"full-batch gradient descent: {network}, {self.iterations} iterations"
        decay = f" (x{self.lr_decay:g} per epoch)" if self.lr_decay != 1 else ""
        steps = "Adam" if self.optimizer == "adam" else f"momentum {self.momentum:g}"
        options = [
            f"L2 {self.l2:g}" if self.l2 else "",
            f"dropout (keep {self.keep:g})" if self.keep != 1 else "",
            "random shifts and rotations" if self.augment else "",
            f"early stopping (patience {self.patience})" if self.patience else "",
            self.dtype if self.dtype != "float64" else "",
        ]
        return (
            f"mini-batch SGD: {network}{decay}, {steps}, batch size {self.batch_size}, {self.epochs} epochs"
            + "".join(f", {option}" for option in options if option)
        )

    def init_params(self, *, rng: np.random.Generator, dtype: type | None = None) -> Params:
        """Initial parameters of this recipe's network (784 inputs, 10 outputs), in its dtype unless given."""
        return init_params(*self.sizes, rng=rng, scheme=self.scheme, dtype=dtype or np.dtype(self.dtype).type)

    def trained_params(self) -> Params:
        """The params this recipe trained, as shipped with mnistnn (``bundled/<name>.npz``), e.g. for notebook 08.

        Made by ``python -m mnistnn train --recipe <name> --save mnistnn/bundled/<name>.npz`` (seed 0); only the
        record recipe's are shipped, as the others train in seconds or minutes in the notebooks.
        """
        path = BUNDLED / f"{self.name}.npz"
        if not path.is_file():
            raise FileNotFoundError(
                f"mnistnn ships no trained params of the {self.name!r} recipe ({path}); train them with "
                f"python -m mnistnn train --recipe {self.name} --save {self.name}.npz, then load them with "
                f"mnistnn.load_params('{self.name}.npz')"
            )
        return load_params(path)

    def train(
        self,
        params: Params,
        X: np.ndarray,
        y: np.ndarray,
        *,
        rng: np.random.Generator | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        progress: Progress = False,
    ) -> tuple[Params, History]:
        """Train ``params`` with this recipe's algorithm and settings; ``rng`` shuffles the SGD batches (and draws
        dropout's masks and the augmentations)."""
        if self.iterations is not None:
            return gradient_descent(
                params,
                X,
                y,
                learning_rate=self.learning_rate,
                iterations=self.iterations,
                X_val=X_val,
                y_val=y_val,
                progress=progress,
            )
        return sgd(
            params,
            X,
            y,
            rng=rng,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            lr_decay=self.lr_decay,
            batch_size=self.batch_size,
            epochs=self.epochs,
            X_val=X_val,
            y_val=y_val,
            progress=progress,
            optimizer=self.optimizer,
            l2=self.l2,
            keep=self.keep,
            augment=shift_and_rotate if self.augment else None,
            patience=self.patience,
        )


#: The original classroom notebook: 10 hidden units, uniform init, 500 full-batch iterations (notebook 04).
ORIGINAL = Recipe("original", n_hidden=10, scheme="uniform", learning_rate=0.1, iterations=500)
#: ``python -m mnistnn train`` by default: notebook 06's algorithm with fewer units, so that it is quick.
QUICK = Recipe(
    "quick", n_hidden=128, scheme="he", learning_rate=0.1, epochs=8, batch_size=128, momentum=0.9, lr_decay=0.9
)
#: Notebook 06's final model: 784-800-10, the size of the classic result it is compared with.
FINAL = Recipe(
    "final", n_hidden=800, scheme="he", learning_rate=0.1, epochs=5, batch_size=100, momentum=0.9, lr_decay=0.75
)
#: ``python -m mnistnn train --recipe record``: two hidden layers of 800, dropout, and every epoch new shifts and
#: rotations of the training images; over 99% on the test set (271 s on 2 cores; the benchmark times it, section 8).
RECORD = Recipe(
    "record",
    n_hidden=(800, 800),
    scheme="he",
    learning_rate=0.05,
    epochs=40,
    batch_size=100,
    momentum=0.9,
    lr_decay=0.93,
    keep=0.8,
    augment=True,
    dtype="float32",
)
#: Every named recipe, by name: ``python -m mnistnn train --recipe NAME``.
RECIPES = {recipe.name: recipe for recipe in (ORIGINAL, QUICK, FINAL, RECORD)}
