"""Draw the README's picture: test digits read by the network that `python -m mnistnn train` trains.

Run from the repository: `.venv/bin/python docs/make_figures.py` (about 20 seconds); it writes
docs/predictions.png.
"""

from pathlib import Path

import numpy as np

import mnistnn
from mnistnn.plots import show_digits
from mnistnn.recipes import QUICK

rng = np.random.default_rng(0)  # the command line's default seed
data = mnistnn.load_dataset(rng=rng)
params, _ = QUICK.train(QUICK.init_params(rng=rng), data.X_train, data.y_train, rng=rng)
predicted = mnistnn.predict(params, data.X_test)
accuracy = mnistnn.accuracy(data.y_test, predicted)

# The first 20 test images, then the first 10 the network gets wrong (in red: true -> predicted).
wrong = np.flatnonzero(predicted != data.y_test)[:10]
shown = np.concatenate([np.arange(20), wrong])
fig = show_digits(
    data.X_test[:, shown],
    data.y_test[shown],
    predicted[shown],
    ncols=10,
    title=f"MNIST test digits read by a 784-{QUICK.n_hidden}-10 network "
    f"(test accuracy {accuracy:.2%}); last row: some of its mistakes",
)
fig.savefig(Path(__file__).with_name("predictions.png"), dpi=80)
print(f"test accuracy {accuracy:.2%}; wrote docs/predictions.png")
