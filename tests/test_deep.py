"""mnistnn.deep (a network of any depth, dropout, L2), Adam, sgd's regularisers, and mnistnn.augment."""

from __future__ import annotations

import numpy as np
import pytest

import mnistnn
from mnistnn import augment, deep
from mnistnn.gradcheck import numerical_gradient, relative_error
from mnistnn.model import cross_entropy
from mnistnn.train import adam_step, sgd


def small_problem(*sizes, seed=0, m=7):
    rng = np.random.default_rng(seed)
    params = mnistnn.init_params(*sizes, rng=rng, scheme="he")
    X, y = rng.random((sizes[0], m)), rng.integers(0, sizes[-1], m)
    return params, X, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_layers_are_exactly_the_network_of_notebooks_02_to_06(dtype):
    params, X, y = small_problem(20, 8, 5)
    params, X = {key: value.astype(dtype) for key, value in params.items()}, X.astype(dtype)
    A2, cache = mnistnn.forward(params, X)
    AL, deep_cache = deep.forward(params, X)
    assert np.array_equal(AL, A2) and all(np.array_equal(deep_cache[key], cache[key]) for key in cache)
    grads, deep_grads = mnistnn.backward(params, cache, X, y), deep.backward(params, deep_cache, X, y)
    assert list(deep_grads) == list(params) and all(np.array_equal(deep_grads[k], grads[k]) for k in grads)


@pytest.mark.parametrize("sizes", [(6, 4), (6, 5, 4), (6, 5, 3, 4), (6, 5, 3, 4, 3)])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_backward_is_the_gradient_of_the_loss_at_every_depth(sizes, l2):
    params, X, y = small_problem(*sizes)
    _, cache = deep.forward(params, X)
    grads = deep.backward(params, cache, X, y, l2=l2)
    assert deep.depth(params) == len(sizes) - 1
    for key in params:

        def f(value, key=key):
            return deep.loss({**params, key: value}, X, y, l2=l2)

        assert relative_error(grads[key], numerical_gradient(f, params[key])) < 1e-7, key


def test_l2_penalises_the_weights_not_the_biases():
    params, X, y = small_problem(6, 5, 4)
    expected = 0.5 * 0.3 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    assert deep.l2_penalty(params, 0.3) == pytest.approx(expected, rel=1e-12)
    _, cache = deep.forward(params, X)
    plain, penalised = deep.backward(params, cache, X, y), deep.backward(params, cache, X, y, l2=0.3)
    assert np.allclose(penalised["W1"] - plain["W1"], 0.3 * params["W1"])
    assert np.array_equal(penalised["b1"], plain["b1"]) and np.array_equal(penalised["b2"], plain["b2"])


def test_dropout_keeps_the_expected_activation_and_backward_follows_the_mask():
    params, X, y = small_problem(6, 50, 4, m=3)
    _, plain = deep.forward(params, X)
    rng = np.random.default_rng(1)
    runs = [deep.forward(params, X, keep=0.8, rng=rng)[1] for _ in range(4000)]
    masks = np.array([cache["D1"] for cache in runs])
    assert set(np.unique(masks)) == {0.0, 1 / 0.8}  # dropped, or kept and scaled by 1/p
    assert abs((masks > 0).mean() - 0.8) < 0.01
    mean_A1 = np.mean([cache["A1"] for cache in runs], axis=0)
    assert np.allclose(mean_A1, plain["A1"], rtol=0.05, atol=0.02)  # inverted dropout: the expectation is unchanged
    assert "D2" not in runs[0] and "D1" not in plain  # the output layer is never dropped; keep=1 draws no mask

    # With the mask fixed (the same seed), backward is the gradient of that network's loss.
    def f(value):
        AL, _ = deep.forward({**params, "W1": value}, X, keep=0.5, rng=np.random.default_rng(5))
        return cross_entropy(AL, y)

    _, cache = deep.forward(params, X, keep=0.5, rng=np.random.default_rng(5))
    grads = deep.backward(params, cache, X, y)
    assert relative_error(grads["W1"], numerical_gradient(f, params["W1"])) < 1e-7
    dropped = cache["D1"] == 0  # (n_1, m): a unit dropped for an example passes it no gradient
    assert dropped.any() and np.all(grads["W1"][dropped.all(axis=1)] == 0)


def test_predict_scores_any_depth_and_says_what_it_expected():
    params, X, y = small_problem(6, 5, 3, 4, m=2500)  # more columns than one scoring block
    AL, _ = deep.forward(params, X)
    assert np.array_equal(mnistnn.predict(params, X), AL.argmax(axis=0))
    with pytest.raises(ValueError, match=r"W1 has 6 columns .* X has 5 rows .* X should have shape \(6, m\)"):
        mnistnn.predict(params, X[:5])
    broken = {**params, "W2": params["W2"].T}
    with pytest.raises(ValueError, match=r"W2.*transposed, pass W2\.T"):
        mnistnn.predict(broken, X)


def test_adam_in_place_is_the_pure_step_bit_for_bit():
    from mnistnn.train import _adam_step_in_place

    params, X, y = small_problem(6, 5, 4)
    pure = {key: value.copy() for key, value in params.items()}
    M = {key: np.zeros_like(value) for key, value in params.items()}
    V = {key: np.zeros_like(value) for key, value in params.items()}
    M2, V2 = {k: v.copy() for k, v in M.items()}, {k: v.copy() for k, v in V.items()}
    live, spare = {k: v.copy() for k, v in params.items()}, {k: np.empty_like(v) for k, v in params.items()}
    before = {key: value.copy() for key, value in pure.items()}
    for t in range(1, 6):
        _, cache = deep.forward(pure, X)
        grads = deep.backward(pure, cache, X, y)
        new, M, V = adam_step(pure, M, V, grads, learning_rate=0.01, t=t)
        assert all(np.array_equal(pure[k], before[k]) for k in pure)  # the pure step leaves its arguments
        pure, before = new, {key: value.copy() for key, value in new.items()}
        live, spare = _adam_step_in_place(
            live, M2, V2, {k: g.copy() for k, g in grads.items()}, out=spare, learning_rate=0.01, t=t
        )
        assert all(np.array_equal(live[k], pure[k]) for k in pure), t
    # Adam's first step moves every weight by about the learning rate, whatever the gradient's size.
    _, cache = deep.forward(params, X)
    zeros = {key: np.zeros_like(value) for key, value in params.items()}
    first, _, _ = adam_step(params, zeros, zeros, deep.backward(params, cache, X, y), learning_rate=0.01, t=1)
    assert np.allclose(np.abs(first["W1"] - params["W1"])[np.abs(first["W1"] - params["W1"]) > 0], 0.01, rtol=1e-3)


@pytest.fixture(scope="module")
def digits():
    data = mnistnn.load_dataset(rng=np.random.default_rng(0), val_size=1000, dtype=np.float32)
    return data.X_train[:, :3000], data.y_train[:3000], data.X_val, data.y_val


def test_sgd_trains_three_layers_with_adam_l2_and_dropout(digits):
    X, y, X_val, y_val = digits
    rng = np.random.default_rng(0)
    params = mnistnn.init_params(784, 64, 32, 10, rng=rng, scheme="he", dtype=np.float32)
    trained, history = sgd(
        params, X, y, rng=rng, learning_rate=0.002, optimizer="adam", l2=1e-4, keep=0.9, epochs=4, batch_size=100,
        X_val=X_val, y_val=y_val,
    )  # fmt: skip
    assert set(trained) == set(params) and trained["W3"].dtype == np.float32
    assert history["val_accuracy"][-1] > 0.85 and history["loss"][-1] < history["loss"][0]


def test_early_stopping_returns_the_best_epoch(digits):
    X, y, X_val, y_val = digits
    rng = np.random.default_rng(1)
    params = mnistnn.init_params(784, 32, 10, rng=rng, scheme="he", dtype=np.float32)
    trained, history = sgd(
        params, X, y, rng=rng, learning_rate=0.5, epochs=30, batch_size=50, X_val=X_val, y_val=y_val, patience=2
    )
    best = int(np.argmax(history["val_accuracy"]))  # the first of equals
    assert len(history["epoch"]) == best + 1 + 2 < 30  # stopped two epochs after the best
    assert mnistnn.accuracy(mnistnn.predict(trained, X_val), y_val) == pytest.approx(history["val_accuracy"][best])
    with pytest.raises(ValueError, match="patience .* pass X_val and y_val"):
        sgd(params, X, y, rng=rng, patience=2)


def test_sgd_rejects_bad_regularisers_clearly(digits):
    X, y, *_ = digits
    params = mnistnn.init_params(784, 8, 10, rng=np.random.default_rng(0))
    rng = np.random.default_rng(0)
    for options, message in [
        ({"keep": 0.0}, "keep"),
        ({"keep": 1.5}, "keep"),
        ({"l2": -1.0}, "l2"),
        ({"optimizer": "rmsprop"}, r"optimizer must be one of \('momentum', 'adam'\)"),
        ({"optimizer": "adam", "momentum": 0.9}, "Adam keeps its own running mean"),
        ({"patience": 0}, "patience"),
    ]:
        with pytest.raises(ValueError, match=message):
            sgd(params, X, y, rng=rng, **options)
    with pytest.raises(TypeError, match="augment must be a function"):
        sgd(params, X, y, rng=rng, augment="shift")


def test_augmentation_is_used_every_batch_and_changes_the_images(digits):
    X, y, *_ = digits
    seen = []

    def spy(X_batch, rng):
        seen.append(X_batch.shape)
        return augment.shift_and_rotate(X_batch, rng)

    params = mnistnn.init_params(784, 8, 10, rng=np.random.default_rng(0), scheme="he", dtype=np.float32)
    sgd(params, X[:, :500], y[:500], rng=np.random.default_rng(0), epochs=2, batch_size=100, augment=spy)
    assert seen == [(784, 100)] * 10


def bar(rows, cols):
    image = np.zeros((28, 28))
    image[rows, cols] = 1.0
    return image.reshape(784, 1)


def test_shift_and_rotate_moves_a_known_image():
    vertical = bar(slice(8, 20), 14)  # a vertical bar in column 14
    assert np.array_equal(
        augment.shift_and_rotate(vertical, np.random.default_rng(0), max_shift=0, max_degrees=0), vertical
    )

    class Fixed:  # an rng whose draws are the given angle (degrees) and offsets
        def __init__(self, degrees, dy, dx):
            self.draws = [np.array([[degrees]]), np.array([[[dy]], [[dx]]])]

        def uniform(self, low, high, size):
            return self.draws.pop(0).reshape(size)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(augment, "check_rng", lambda rng: rng)
        shifted = augment.shift_and_rotate(vertical, Fixed(0.0, 2.0, -3.0))
        assert np.array_equal(shifted.reshape(28, 28), np.roll(vertical.reshape(28, 28), (2, -3), axis=(0, 1)))
        turned = augment.shift_and_rotate(vertical, Fixed(90.0, 0.0, 0.0)).reshape(28, 28)
    assert np.allclose(turned.sum(), vertical.sum()) and np.allclose(turned.sum(axis=0).max(), 1.0, atol=1e-9)
    assert turned.sum(axis=1).max() > 11  # the vertical bar now lies in one row


def test_shift_and_rotate_keeps_the_dtype_the_input_and_the_seed():
    X = np.random.default_rng(0).random((784, 5)).astype(np.float32)
    copy = X.copy()
    a = augment.shift_and_rotate(X, np.random.default_rng(3))
    b = augment.shift_and_rotate(X, np.random.default_rng(3))
    assert a.dtype == np.float32 and a.shape == X.shape and np.array_equal(a, b) and np.array_equal(X, copy)
    assert a.min() >= 0 and a.max() <= 1 and not np.array_equal(a, X)
    with pytest.raises(ValueError, match="784"):
        augment.shift_and_rotate(X[:700], np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_shift must be a number >= 0"):
        augment.shift_and_rotate(X, np.random.default_rng(0), max_shift=-1)


def test_backward_agrees_with_jax_grad_on_three_layers():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    params, X, y = small_problem(6, 5, 3, 4, m=9)

    def loss(p):
        A = jnp.asarray(X)
        for layer in (1, 2, 3):
            Z = p[f"W{layer}"] @ A + p[f"b{layer}"]
            A = jax.nn.softmax(Z, axis=0) if layer == 3 else jax.nn.relu(Z)
        ce = -jnp.mean(jnp.log(A[y, jnp.arange(len(y))]))
        return ce + 0.05 * sum(jnp.sum(p[f"W{layer}"] ** 2) for layer in (1, 2, 3))

    with jax.enable_x64(True):  # float64, as params are, in this test only
        expected = jax.grad(loss)({key: jnp.asarray(value) for key, value in params.items()})
        assert expected["W1"].dtype == jnp.float64
    _, cache = deep.forward(params, X)
    grads = deep.backward(params, cache, X, y, l2=0.1)
    assert all(np.allclose(grads[key], expected[key], rtol=1e-10, atol=1e-12) for key in params)


def test_the_shipped_record_params_are_the_recipes_network_and_score_over_99_percent():
    from mnistnn.recipes import FINAL, RECORD

    params = RECORD.trained_params()
    assert (
        deep.depth(params) == 3
        and mnistnn.init_params(*RECORD.sizes, rng=np.random.default_rng(0)).keys() == params.keys()
    )
    assert all(
        params[f"W{l}"].shape == (n, n_prev) for l, (n_prev, n) in enumerate(zip(RECORD.sizes, RECORD.sizes[1:]), 1)
    )
    _, (x_test, y_test) = mnistnn.load_mnist()
    X_test = mnistnn.scale_pixels(mnistnn.flatten_images(x_test), dtype=np.float32)
    assert mnistnn.accuracy(y_test, mnistnn.predict(params, X_test)) >= 0.99  # 99.08%, notebook 08
    with pytest.raises(FileNotFoundError, match="ships no trained params of the 'final' recipe.*--recipe final"):
        FINAL.trained_params()
