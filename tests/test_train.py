"""Training: gradient descent and SGD learn, are seeded, pure, and stop cleanly when they diverge."""

import math

import numpy as np
import pytest
from problems import random_problem

import mnistnn
from mnistnn import DivergenceError, gradient_descent, init_params, sgd


def original_params(seed=0):
    return init_params(784, 10, 10, rng=np.random.default_rng(seed), scheme="uniform")


def test_original_configuration_learns_far_above_chance(small_data):
    X, y, X_val, y_val = small_data
    params, history = gradient_descent(
        original_params(), X, y, learning_rate=0.10, iterations=300, X_val=X_val, y_val=y_val, record_every=50
    )
    assert history["iteration"] == [0, 50, 100, 150, 200, 250, 300]
    assert history["accuracy"][0] < 0.3  # untrained: near chance
    assert history["val_accuracy"][-1] > 0.75  # measured: 0.825 on this seeded subset
    assert history["loss"][-1] < history["loss"][0] / 3
    assert mnistnn.accuracy(y_val, mnistnn.predict(params, X_val)) == history["val_accuracy"][-1]


def test_sgd_with_momentum_learns(small_data):
    X, y, X_val, y_val = small_data
    params = init_params(784, 32, 10, rng=np.random.default_rng(0), scheme="he")
    _, history = sgd(
        params,
        X,
        y,
        rng=np.random.default_rng(1),
        learning_rate=0.05,
        momentum=0.9,
        lr_decay=0.5,
        batch_size=50,
        epochs=3,
        X_val=X_val,
        y_val=y_val,
    )
    assert history["epoch"] == [1, 2, 3]
    assert history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    assert history["val_accuracy"][-1] > 0.9  # measured: 0.93
    assert history["loss"][-1] < history["loss"][0]


def test_same_seed_gives_identical_results_and_a_different_seed_does_not():
    params, X, y = random_problem(30, 8, 10, 200, seed=4)

    def run(seed):
        return sgd(params, X, y, rng=np.random.default_rng(seed), momentum=0.9, batch_size=32, epochs=2)

    (p1, h1), (p2, h2), (p3, h3) = run(0), run(0), run(1)
    assert all(np.array_equal(p1[k], p2[k]) for k in p1) and h1 == h2
    assert not np.array_equal(p1["W1"], p3["W1"]) and h1 != h3
    g1 = gradient_descent(params, X, y, iterations=5)
    g2 = gradient_descent(params, X, y, iterations=5)
    assert all(np.array_equal(g1[0][k], g2[0][k]) for k in params) and g1[1] == g2[1]


def test_training_leaves_the_initial_params_untouched():
    params, X, y = random_problem(30, 8, 10, 100)
    before = {k: v.copy() for k, v in params.items()}
    gradient_descent(params, X, y, iterations=3)
    sgd(params, X, y, rng=np.random.default_rng(0), momentum=0.5, batch_size=10, epochs=1)
    assert all(np.array_equal(params[k], before[k]) for k in params)


def test_gradient_descent_history_is_recorded_every_n_and_at_the_end():
    params, X, y = random_problem(30, 8, 10, 50)
    _, history = gradient_descent(params, X, y, iterations=7, record_every=3)
    assert history["iteration"] == [0, 3, 6, 7]
    assert set(history) == {"iteration", "loss", "accuracy"}


def test_one_gradient_descent_step_is_w_minus_learning_rate_times_grad():
    params, X, y = random_problem(30, 8, 10, 50)
    new, _ = gradient_descent(params, X, y, learning_rate=0.3, iterations=1)
    _, cache = mnistnn.forward(params, X)
    grads = mnistnn.backward(params, cache, X, y)
    for key in params:
        np.testing.assert_allclose(new[key], params[key] - 0.3 * grads[key], rtol=1e-12)


def test_divergence_stops_at_the_first_non_finite_loss_with_the_last_finite_params(small_data):
    X, y, _, _ = small_data
    with pytest.raises(
        DivergenceError,
        match=r"non-finite at iteration \d+ with learning_rate=50.*"
        r"learning_rate=0\.1\b",
    ) as caught:
        gradient_descent(original_params(), X, y, learning_rate=50, iterations=100)
    error = caught.value
    assert 1 <= int(error.where.split()[-1]) < 100
    assert all(np.isfinite(v).all() for v in error.params.values())
    A2, _ = mnistnn.forward(error.params, X)
    assert math.isfinite(mnistnn.cross_entropy(A2, y))


def test_float32_training_matches_float64_on_the_original_configuration(small_data):
    X, y, X_val, y_val = small_data
    results = {}
    for dtype in (np.float32, np.float64):
        params = {k: v.astype(dtype) for k, v in original_params().items()}
        trained, history = gradient_descent(
            params,
            X.astype(dtype),
            y,
            learning_rate=0.1,
            iterations=200,
            X_val=X_val.astype(dtype),
            y_val=y_val,
            record_every=200,
        )
        assert trained["W1"].dtype == dtype
        results[dtype] = history["val_accuracy"][-1]
    assert abs(results[np.float32] - results[np.float64]) < 0.005


def test_sgd_divergence_is_reported_too(small_data):
    X, y, _, _ = small_data
    with pytest.raises(DivergenceError, match=r"non-finite at epoch 1, batch \d+ with learning_rate=500"):
        sgd(original_params(), X, y, rng=np.random.default_rng(0), learning_rate=500, epochs=2)


def test_progress_callback_and_bar(capsys):
    params, X, y = random_problem(30, 8, 10, 40)
    calls = []
    gradient_descent(params, X, y, iterations=4, progress=lambda done, total, loss: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    calls.clear()
    sgd(
        params,
        X,
        y,
        rng=np.random.default_rng(0),
        batch_size=16,
        epochs=2,
        progress=lambda done, total, loss: calls.append((done, total)),
    )
    assert calls == [(i, 6) for i in range(1, 7)]  # ceil(40 / 16) = 3 batches per epoch
    gradient_descent(params, X, y, iterations=4, progress=True)
    assert "4/4" in capsys.readouterr().err
    gradient_descent(params, X, y, iterations=4)
    assert capsys.readouterr().err == ""  # silent by default


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"learning_rate": 0}, ValueError, "learning_rate must be a finite number > 0; got 0"),
        ({"learning_rate": -0.1}, ValueError, "learning_rate must be a finite number > 0; got -0.1"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate must be a finite number > 0; got nan"),
        ({"learning_rate": float("inf")}, ValueError, "learning_rate must be a finite number > 0; got inf"),
        ({"learning_rate": "0.1"}, ValueError, "learning_rate must be a finite number > 0; got '0.1'"),
        ({"iterations": 0}, ValueError, "iterations must be a whole number >= 1; got 0"),
        ({"record_every": 0}, ValueError, "record_every must be a whole number >= 1"),
        ({"X_val": np.zeros((30, 5))}, ValueError, "pass both X_val and y_val, or neither"),
        ({"progress": "yes"}, TypeError, "progress must be True, False or a callable"),
    ],
)
def test_gradient_descent_errors(kwargs, error, message):
    params, X, y = random_problem(30, 8, 10, 20)
    with pytest.raises(error, match=message):
        gradient_descent(params, X, y, **kwargs)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 21}, ValueError, r"batch_size must be at most the number of training examples \(20\); got 21"),
        ({"batch_size": 0}, ValueError, "batch_size must be a whole number >= 1; got 0"),
        ({"epochs": -1}, ValueError, "epochs must be a whole number >= 1; got -1"),
        ({"momentum": 1.0}, ValueError, r"momentum must be a number in \[0, 1\); got 1.0"),
        ({"lr_decay": 0}, ValueError, r"lr_decay must be a number in \(0, 1\]; got 0"),
        ({"lr_decay": 1.5}, ValueError, r"lr_decay must be a number in \(0, 1\]; got 1.5"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_sgd_errors(kwargs, error, message):
    params, X, y = random_problem(30, 8, 10, 20)
    with pytest.raises(error, match=message):
        sgd(params, X, y, **{"rng": np.random.default_rng(0), **kwargs})


def test_training_rejects_mismatched_data():
    params, X, y = random_problem(30, 8, 10, 20)
    with pytest.raises(ValueError, match="y has 19 labels but there are 20 examples"):
        gradient_descent(params, X, y[:19])
    with pytest.raises(ValueError, match=r"X has shape \(20, 30\): one ROW per example.*Pass X\.T"):
        sgd(params, X.T.copy(), y, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="y_val must hold labels in 0..9"):
        gradient_descent(params, X, y, X_val=X, y_val=y + 5)


def test_gradient_descent_gives_the_same_params_whatever_the_memory_order_of_X(small_data):
    X, y, _, _ = small_data
    wide = np.zeros((784, 2 * X.shape[1]))
    wide[:, ::2] = X  # X[:, ::2] of this is a strided view of the same numbers
    params = original_params()
    results = [
        gradient_descent(params, layout, y, learning_rate=0.1, iterations=3)[0]
        for layout in (X, np.asfortranarray(X), wide[:, ::2])
    ]
    for other in results[1:]:
        for key in params:
            np.testing.assert_allclose(other[key], results[0][key], rtol=1e-10, atol=1e-12)


def plain_sgd(params, X, y, *, rng, learning_rate, momentum, lr_decay, batch_size, epochs, stop_after=None):
    """sgd written with the public forward, backward and sgd_step only; the params after stop_after steps too."""
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    steps, m = 0, X.shape[1]
    for epoch in range(epochs):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            if steps == stop_after:
                return params
            idx = order[start : start + batch_size]
            _, cache = mnistnn.forward(params, X[:, idx])
            grads = mnistnn.backward(params, cache, X[:, idx], y[idx])
            params, velocity = mnistnn.sgd_step(
                params, velocity, grads, momentum=momentum, learning_rate=learning_rate * lr_decay**epoch
            )
            steps += 1
    return params


@pytest.mark.parametrize(
    "dtype, data_dtype", [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)]
)
def test_sgd_takes_exactly_the_steps_of_forward_backward_and_sgd_step(dtype, data_dtype):
    params, X, y = random_problem(30, 8, 10, 70, seed=3)
    params, X = {k: v.astype(dtype) for k, v in params.items()}, X.astype(data_dtype)
    settings = {"learning_rate": 0.2, "momentum": 0.9, "lr_decay": 0.5, "batch_size": 16, "epochs": 3}
    trained, _ = sgd(params, np.asfortranarray(X), y, rng=np.random.default_rng(5), **settings)
    expected = plain_sgd(params, X, y, rng=np.random.default_rng(5), **settings)
    for key in params:  # the same arithmetic in the same order: equal to the last bit
        np.testing.assert_array_equal(trained[key], expected[key])
        assert trained[key].dtype == expected[key].dtype == np.result_type(dtype, data_dtype)


def test_sgd_divergence_offers_exactly_the_params_before_the_failing_step(small_data):
    X, y, _, _ = small_data
    start = original_params()
    settings = {"learning_rate": 20, "momentum": 0.5, "lr_decay": 1.0, "batch_size": 100, "epochs": 3}
    with pytest.raises(DivergenceError) as caught:
        sgd(start, X, y, rng=np.random.default_rng(0), **settings)
    epoch, batch = (int(word.strip(",")) for word in caught.value.where.split()[1::2])
    steps_done = (epoch - 1) * math.ceil(X.shape[1] / 100) + batch - 1  # the failing batch took no step
    expected = plain_sgd(start, X, y, rng=np.random.default_rng(0), stop_after=steps_done - 1, **settings)
    for key in start:
        np.testing.assert_array_equal(caught.value.params[key], expected[key])


def test_validation_scores_in_blocks_equal_one_forward_pass_over_all_examples():
    params, X, y = random_problem(30, 8, 10, 2_345, seed=6)  # 2,345: two full blocks of 1,000 and a partial one
    trained, history = sgd(params, X, y, rng=np.random.default_rng(0), batch_size=500, epochs=1, X_val=X, y_val=y)
    A2, _ = mnistnn.forward(trained, X)
    assert history["val_accuracy"] == [mnistnn.accuracy(y, A2.argmax(axis=0))]
    assert history["val_loss"] == [pytest.approx(mnistnn.cross_entropy(A2, y), rel=1e-12)]


def test_sgd_failing_at_its_first_batch_offers_the_initial_params():
    params, X, y = random_problem(30, 8, 10, 40, seed=1)
    huge = {**params, "W2": params["W2"] * 1e6}  # score gaps of millions: true classes get probability 0
    with pytest.raises(DivergenceError, match="epoch 1, batch 1 ") as caught:
        sgd(huge, X, y, rng=np.random.default_rng(0), batch_size=10, epochs=1)
    for key in params:
        np.testing.assert_array_equal(caught.value.params[key], huge[key])


def test_sgd_dead_in_its_first_epoch_offers_the_initial_params():
    params, X, y = random_problem(20, 4, 10, 40, scheme="he", seed=2)
    dead = {**params, "b1": np.full_like(params["b1"], -100.0)}  # every unit off for every input
    with pytest.raises(mnistnn.DeadNetworkError, match="at epoch 1,") as caught:
        sgd(dead, X, y, rng=np.random.default_rng(0), batch_size=8, epochs=2)  # 5 batches, 5 steps
    for key in params:
        np.testing.assert_array_equal(caught.value.params[key], dead[key])


def test_a_last_step_that_diverges_is_caught_when_scoring_the_result():
    params, X, y = random_problem(30, 8, 10, 40, seed=3)
    for train, where in (
        (lambda **kw: sgd(params, X, y, rng=np.random.default_rng(0), batch_size=40, epochs=1, **kw), "epoch 1"),
        (lambda **kw: gradient_descent(params, X, y, iterations=1, **kw), "iteration 1"),
    ):
        with pytest.raises(DivergenceError, match=f"non-finite at {where} with learning_rate=10000") as caught:
            train(learning_rate=1e4, X_val=X, y_val=(y + 1) % 10)  # one huge step: confidently wrong on these
        for key in params:  # the parameters before that step
            np.testing.assert_array_equal(caught.value.params[key], params[key])
