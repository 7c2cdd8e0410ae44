"""The series' named training configurations, defined once: the CLI, the notebooks, the benchmark and the docs use them.

>>> import numpy as np, mnistnn
>>> from mnistnn.recipes import FINAL
>>> data = mnistnn.load_dataset(rng=np.random.default_rng(0))
>>> params = FINAL.init_params(rng=np.random.default_rng(1))
>>> trained, history = FINAL.train(params, data.X_train, data.y_train, rng=np.random.default_rng(2))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Params, init_params
from .train import History, Progress, gradient_descent, sgd


@dataclass(frozen=True)
class Recipe:
    """A 784-h-10 network and how to train it.

    Full-batch gradient descent when ``iterations`` is set, mini-batch SGD (momentum, learning-rate
    decay) when ``epochs`` is set.
    """

    name: str
    n_hidden: int
    scheme: str
    learning_rate: float
    iterations: int | None = None
    epochs: int | None = None
    batch_size: int | None = None
    momentum: float = 0.0
    lr_decay: float = 1.0

    def __post_init__(self) -> None:
        if (self.iterations is None) == (self.epochs is None):
            raise ValueError("a recipe sets either iterations (full-batch gradient descent) or epochs (SGD)")
        if self.epochs is not None and self.batch_size is None:
            raise ValueError("a mini-batch SGD recipe needs a batch_size")

    def __str__(self) -> str:
        network = f"784-{self.n_hidden}-10, {self.scheme} init, learning rate {self.learning_rate:g}"
        if self.iterations is not None:
            return f"full-batch gradient descent: {network}, {self.iterations} iterations"
        decay = f" (x{self.lr_decay:g} per epoch)" if self.lr_decay != 1 else ""
        return (
            f"mini-batch SGD: {network}{decay}, momentum {self.momentum:g}, batch size {self.batch_size}, "
            f"{self.epochs} epochs"
        )

    def init_params(self, *, rng: np.random.Generator, dtype: type = np.float64) -> Params:
        """Initial parameters of this recipe's network (784 inputs, 10 outputs)."""
        return init_params(784, self.n_hidden, 10, rng=rng, scheme=self.scheme, dtype=dtype)

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
        """Train ``params`` with this recipe's algorithm and settings; ``rng`` shuffles the SGD batches."""
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
