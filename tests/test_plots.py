"""The notebooks' figures draw what they should and refuse what they cannot draw."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import mnistnn
from mnistnn import plots


def test_show_digits_accepts_both_layouts_and_marks_mistakes(mnist):
    (x, y), _ = mnist
    fig = plots.show_digits(x[:12], y[:12], ncols=6, title="twelve digits")
    assert isinstance(fig, Figure) and len(fig.axes) == 12
    assert fig.axes[0].get_title() == str(y[0])
    predictions = y[:3].copy()
    predictions[1] = (predictions[1] + 1) % 10
    fig = plots.show_digits(mnistnn.flatten_images(x[:3]), y[:3], predictions)
    assert fig.axes[1].get_title().startswith("✗ ") and fig.axes[1].title.get_color() == plots.VERMILLION
    assert fig.axes[0].title.get_color() == "black" and "✗" not in fig.axes[0].get_title()
    with pytest.raises(ValueError, match=r"labels must have one entry per image \(3\); got 2"):
        plots.show_digits(x[:3], y[:2])
    with pytest.raises(ValueError, match=r"shape \(n, 28, 28\) or \(784, n\); got \(3, 784\)"):
        plots.show_digits(mnistnn.flatten_images(x[:3]).T)


def test_plot_history_for_both_training_functions():
    gd = {
        "iteration": [0, 10],
        "loss": [2.3, 1.0],
        "accuracy": [0.1, 0.7],
        "val_loss": [2.3, 1.1],
        "val_accuracy": [0.1, 0.6],
    }
    fig = plots.plot_history(gd)
    assert [ax.get_xlabel() for ax in fig.axes] == ["iteration", "iteration"]
    assert len(fig.axes[0].lines) == 2
    fig = plots.plot_history({"epoch": [1, 2], "loss": [0.5, 0.3], "accuracy": [0.9, 0.95]})
    assert fig.axes[0].get_xlabel() == "epoch" and len(fig.axes[1].lines) == 1
    with pytest.raises(ValueError, match="history must be a dict from gradient_descent or sgd"):
        plots.plot_history({"loss": [1.0]})


def test_plot_probabilities_colours_truth_and_prediction():
    p = np.full(10, 0.05)
    p[3] = 0.55
    fig = plots.plot_probabilities(p.reshape(10, 1), image=np.zeros(784), label=5)
    bars = fig.axes[1].patches
    assert len(bars) == 10 and fig.axes[1].get_title() == "prediction: 3 (55%)"
    assert bars[5].get_facecolor() != bars[3].get_facecolor() != bars[0].get_facecolor()
    assert bars[3].get_hatch() == "//" and bars[5].get_hatch() == ".."  # not told by colour alone
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["true digit", "wrong prediction"]
    with pytest.raises(ValueError, match="10 class probabilities"):
        plots.plot_probabilities(np.ones(9) / 9)


def test_plot_confusion_matrix_writes_every_count():
    C = np.arange(9).reshape(3, 3)
    fig = plots.plot_confusion_matrix(C)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == [str(i) for i in range(9)]
    fig = plots.plot_confusion_matrix(C, normalize=True)
    assert [t.get_text() for t in fig.axes[0].texts][:3] == ["0.00", "0.33", "0.67"]  # row 0: (0, 1, 2) / 3
    fig = plots.plot_confusion_matrix(C, hide_diagonal=True)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "2", "3", "5", "6", "7"]
    with pytest.raises(ValueError, match="square"):
        plots.plot_confusion_matrix(np.ones((2, 3)))


def test_show_hidden_weights_draws_one_image_per_unit():
    W1 = np.random.default_rng(0).normal(size=(12, 784))
    fig = plots.show_hidden_weights(W1, ncols=5)
    assert sum(1 for ax in fig.axes if ax.images) == 12
    with pytest.raises(ValueError, match=r"W1 must have shape \(h, 784\); got \(784, 12\)"):
        plots.show_hidden_weights(W1.T)


def test_draw_network_labels_every_array_with_its_shape():
    texts = " ".join(t.get_text() for t in plots.draw_network(32).axes[0].texts)
    for label in ("784 pixels", "$h$ = 32 ReLU units", "$W_1$: ($h$, 784)", "$b_2$: (10, 1)", "$A_2$: (10, m)"):
        assert label in texts
    backward = " ".join(t.get_text() for t in plots.draw_network(10, backward=True).axes[0].texts)
    assert "$dZ_2 = (A_2 - Y)/m$" in backward and "dW_1 = dZ_1 X^\\top" in backward
