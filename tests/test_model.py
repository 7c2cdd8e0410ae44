"""The network's maths: activations, forward, backward, checked by hand, by differences and by JAX."""

import math

import numpy as np
import pytest
from problems import random_problem

import mnistnn
from mnistnn import backward, cross_entropy, forward, init_params, one_hot, relu, relu_grad, softmax

SHAPES = [(4, 3, 3, 5), (20, 16, 10, 7), (784, 10, 10, 3)]


# --- a tiny example worked by hand -------------------------------------------------------------
# X = (1, 0.5)^T, W1 = [[1, 0], [0, -1]], b1 = 0  ->  Z1 = (1, -0.5), A1 = (1, 0)
# W2 = [[2, 0], [0, 0]], b2 = 0                ->  Z2 = (2, 0), A2 = (e^2, 1) / (e^2 + 1)
# label 0: L = -ln A2[0] = ln(1 + e^-2); with s = 1 / (1 + e^2) = A2[1]:
# dZ2 = A2 - Y = (-s, s); dW2 = dZ2 A1^T = [[-s, 0], [s, 0]]; db2 = dZ2
# dZ1 = W2^T dZ2 * relu'(Z1) = (2 * -s, 0) * (1, 0) = (-2s, 0); dW1 = dZ1 X^T = [[-2s, -s], [0, 0]]
HAND_PARAMS = {
    "W1": np.array([[1.0, 0.0], [0.0, -1.0]]),
    "b1": np.zeros((2, 1)),
    "W2": np.array([[2.0, 0.0], [0.0, 0.0]]),
    "b2": np.zeros((2, 1)),
}
HAND_X = np.array([[1.0], [0.5]])
HAND_Y = np.array([0])


def test_hand_worked_forward():
    A2, cache = forward(HAND_PARAMS, HAND_X)
    s = 1 / (1 + math.e**2)
    np.testing.assert_allclose(cache["Z1"], [[1.0], [-0.5]])
    np.testing.assert_allclose(cache["A1"], [[1.0], [0.0]])
    np.testing.assert_allclose(cache["Z2"], [[2.0], [0.0]])
    np.testing.assert_allclose(A2, [[1 - s], [s]], rtol=1e-12)
    assert cross_entropy(A2, HAND_Y) == pytest.approx(math.log(1 + math.exp(-2)), rel=1e-12)


def test_hand_worked_backward():
    _, cache = forward(HAND_PARAMS, HAND_X)
    grads = backward(HAND_PARAMS, cache, HAND_X, HAND_Y)
    s = 1 / (1 + math.e**2)
    np.testing.assert_allclose(grads["W2"], [[-s, 0], [s, 0]], rtol=1e-12)
    np.testing.assert_allclose(grads["b2"], [[-s], [s]], rtol=1e-12)
    np.testing.assert_allclose(grads["W1"], [[-2 * s, -s], [0, 0]], rtol=1e-12)
    np.testing.assert_allclose(grads["b1"], [[-2 * s], [0]], rtol=1e-12)


# --- gradient checks ---------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["uniform", "he"])
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_passes_gradient_check(scheme, shape):
    params, X, y = random_problem(*shape, seed=1, scheme=scheme)
    assert mnistnn.gradient_check(params, X, y) < 1e-6


def original_backward(params, cache, X, y):
    """The original notebook's backward: biases get ONE number summed over units and examples."""
    m = X.shape[1]
    dZ2 = cache["A2"] - one_hot(y)
    dZ1 = params["W2"].T @ dZ2 * relu_grad(cache["Z1"])
    return {
        "W2": dZ2 @ cache["A1"].T / m,
        "b2": np.full_like(params["b2"], dZ2.sum() / m),
        "W1": dZ1 @ X.T / m,
        "b1": np.full_like(params["b1"], dZ1.sum() / m),
    }


def test_gradient_check_catches_the_original_bias_bug():
    params, X, y = random_problem(20, 16, 10, 7, seed=2)
    assert mnistnn.gradient_check(params, X, y, backward_fn=original_backward) > 1e-2


def test_gradient_check_refuses_float32():
    params, X, y = random_problem(4, 3, 3, 5)
    with pytest.raises(TypeError, match="float64"):
        mnistnn.gradient_check(params, X.astype(np.float32), y)


def test_relative_error():
    assert mnistnn.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert mnistnn.relative_error(np.ones(3), -np.ones(3)) == 1.0


# --- an independent implementation: JAX autodiff -----------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_backward_match_jax_autodiff(shape):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    params, X, y = random_problem(*shape, seed=3, scheme="uniform")

    def jax_loss(p):
        Z1 = p["W1"] @ X + p["b1"]
        Z2 = p["W2"] @ jax.nn.relu(Z1) + p["b2"]
        log_probs = jax.nn.log_softmax(Z2, axis=0)
        return -jnp.mean(log_probs[y, jnp.arange(X.shape[1])]), jnp.exp(log_probs)

    with jax.enable_x64(True):  # float64, like our code
        jparams = {k: jnp.asarray(v) for k, v in params.items()}
        (loss, probs), grads = jax.value_and_grad(jax_loss, has_aux=True)(jparams)
        A2, cache = forward(params, X)
        np.testing.assert_allclose(A2, np.asarray(probs), rtol=1e-10, atol=1e-14)
        assert cross_entropy(A2, y) == pytest.approx(float(loss), rel=1e-10)
        ours = backward(params, cache, X, y)
        for key in params:
            np.testing.assert_allclose(ours[key], np.asarray(grads[key]), rtol=1e-8, atol=1e-12, err_msg=key)


# --- activations -------------------------------------------------------------------------------
def test_relu_and_its_gradient_of_the_pre_activation():
    Z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu(Z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu_grad(Z), [[0.0, 0.0, 1.0]])  # 0 at Z = 0 by convention
    assert relu_grad(Z.astype(np.float32)).dtype == np.float32


def test_softmax_columns_sum_to_one_and_match_the_definition():
    Z = np.random.default_rng(0).normal(size=(10, 50)) * 3
    A = softmax(Z)
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(A, np.exp(Z) / np.exp(Z).sum(axis=0), rtol=1e-12)


def test_softmax_is_invariant_to_adding_a_constant_to_a_column():
    Z = np.random.default_rng(1).normal(size=(10, 4))
    shift = np.array([[100.0, -50.0, 0.0, 7.5]])
    np.testing.assert_allclose(softmax(Z + shift), softmax(Z), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_finite_on_huge_logits(dtype):
    Z = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, -1e4], [-1e4, 0.0, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        A = softmax(Z)
    assert A.dtype == dtype
    assert np.isfinite(A).all()
    np.testing.assert_allclose(A, np.eye(3, dtype=dtype), atol=1e-6)


def test_cross_entropy_of_uniform_guesses_is_ln_k():
    A2 = np.full((10, 6), 0.1)
    assert cross_entropy(A2, np.arange(6)) == pytest.approx(math.log(10))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_logits_is_finite_and_exact_on_huge_logits(dtype):
    Z2 = np.array([[1e4, 1e4], [-1e4, -1e4]], dtype=dtype)
    assert cross_entropy(Z2, np.array([0, 0]), from_logits=True) == 0.0
    assert cross_entropy(Z2, np.array([1, 1]), from_logits=True) == pytest.approx(2e4, rel=1e-6)
    assert cross_entropy(Z2, np.array([0, 1]), from_logits=True) == pytest.approx(1e4, rel=1e-6)
    np.testing.assert_allclose(np.exp(mnistnn.log_softmax(Z2)), softmax(Z2))


def test_cross_entropy_from_probabilities_and_from_logits_agree():
    Z2 = np.random.default_rng(0).normal(size=(10, 20)) * 4
    y = np.arange(20) % 10
    assert cross_entropy(softmax(Z2), y) == pytest.approx(cross_entropy(Z2, y, from_logits=True), rel=1e-12)


def test_cross_entropy_is_inf_when_the_true_class_gets_probability_zero():
    A2 = np.array([[1.0, 0.5], [0.0, 0.5]])
    with np.errstate(all="raise"):
        assert cross_entropy(A2, np.array([1, 0])) == math.inf


def test_cross_entropy_of_a_nan_column_is_nan_as_the_maths_gives():
    Z2 = np.random.default_rng(1).normal(size=(10, 20)) * 4
    y = np.arange(20) % 10
    Z2[:, 3] = np.nan  # one diverged example: softmax makes its whole column NaN
    assert math.isnan(cross_entropy(softmax(Z2), y))
    assert math.isnan(cross_entropy(Z2, y, from_logits=True))


def test_predict_scores_in_blocks_and_gives_the_argmax_of_one_forward_pass():
    params, X, _ = random_problem(30, 8, 10, 2_345, seed=2)  # two full blocks of 1,000 and a partial one
    np.testing.assert_array_equal(mnistnn.predict(params, X), mnistnn.forward(params, X)[0].argmax(axis=0))
    with pytest.raises(ValueError, match="X"):
        mnistnn.predict(params, X[:20])  # checked once, at the door


# --- one_hot -----------------------------------------------------------------------------------
def test_one_hot_of_a_batch_without_some_classes_still_has_ten_rows():
    y = np.array([3, 0, 3, 1])  # no 9: Y.max() + 1 would give only 4 rows
    Y = one_hot(y)
    assert Y.shape == (10, 4)
    np.testing.assert_array_equal(Y.argmax(axis=0), y)
    np.testing.assert_array_equal(Y.sum(axis=0), 1)
    assert Y[3, 0] == 1 and Y[0, 1] == 1 and Y[9].sum() == 0


@pytest.mark.parametrize(
    "y, error, message",
    [
        (np.array([0, 10]), ValueError, r"labels in 0\.\.9; got values from 0 to 10"),
        (np.array([-1, 2]), ValueError, r"labels in 0\.\.9"),
        (np.array([0.0, 1.0]), TypeError, "integer labels; got dtype float64"),
        (np.array([[0, 1]]), ValueError, r"1-D, shape \(m,\)"),
        ([0, 1], TypeError, "NumPy array"),
    ],
)
def test_one_hot_errors(y, error, message):
    with pytest.raises(error, match=message):
        one_hot(y)


# --- init_params -------------------------------------------------------------------------------
def test_uniform_init_matches_the_original_notebook():
    params = init_params(784, 10, 10, rng=np.random.default_rng(0), scheme="uniform")
    assert {k: v.shape for k, v in params.items()} == {"W1": (10, 784), "b1": (10, 1), "W2": (10, 10), "b2": (10, 1)}
    for value in params.values():
        assert value.dtype == np.float64 and value.min() >= -0.5 and value.max() < 0.5
    assert abs(params["W1"].mean()) < 0.02 and params["W1"].std() == pytest.approx(1 / math.sqrt(12), rel=0.05)


def test_he_init_has_variance_two_over_fan_in_and_zero_biases():
    params = init_params(784, 800, 10, rng=np.random.default_rng(0), scheme="he", dtype=np.float32)
    assert params["W1"].dtype == np.float32
    assert params["W1"].std() == pytest.approx(math.sqrt(2 / 784), rel=0.01)
    assert params["W2"].std() == pytest.approx(math.sqrt(2 / 800), rel=0.05)
    assert not params["b1"].any() and not params["b2"].any()


def test_init_is_seeded():
    a = init_params(784, 10, 10, rng=np.random.default_rng(5))
    b = init_params(784, 10, 10, rng=np.random.default_rng(5))
    c = init_params(784, 10, 10, rng=np.random.default_rng(6))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W1"], c["W1"])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n_hidden": 0}, ValueError, "n_hidden must be a whole number >= 1; got 0"),
        ({"n_hidden": -3}, ValueError, "n_hidden must be a whole number >= 1; got -3"),
        ({"n_hidden": 2.5}, ValueError, "n_hidden must be a whole number >= 1; got 2.5"),
        ({"scheme": "xavier"}, ValueError, r"scheme must be one of \('uniform', 'he'\); got 'xavier'"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
        ({"dtype": np.int32}, TypeError, "dtype must be a float type"),
    ],
)
def test_init_params_errors(kwargs, error, message):
    arguments = {"n_hidden": 10, "rng": np.random.default_rng(0), **kwargs}
    n_hidden = arguments.pop("n_hidden")
    with pytest.raises(error, match=message):
        init_params(784, n_hidden, 10, **arguments)


def test_init_params_of_any_depth_and_its_errors():
    params = init_params(784, 32, 16, 10, rng=np.random.default_rng(0), scheme="he")
    assert {key: value.shape for key, value in params.items()} == {
        "W1": (32, 784),
        "b1": (32, 1),
        "W2": (16, 32),
        "b2": (16, 1),
        "W3": (10, 16),
        "b3": (10, 1),
    }
    assert params["W2"].std() == pytest.approx(np.sqrt(2 / 32), rel=0.1)  # He: the layer's own fan-in
    with pytest.raises(ValueError, match="n_2 must be a whole number >= 1; got 0"):
        init_params(784, 32, 0, 10, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"needs the layer sizes, inputs first"):
        init_params(784, rng=np.random.default_rng(0))


# --- forward / backward / predict: purity and errors -----------------------------------------
def test_forward_and_backward_leave_their_arguments_untouched():
    params, X, y = random_problem(20, 16, 10, 7)
    before = {k: v.copy() for k, v in params.items()}, X.copy(), y.copy()
    A2, cache = forward(params, X)
    backward(params, cache, X, y)
    assert all(np.array_equal(params[k], before[0][k]) for k in params)
    assert np.array_equal(X, before[1]) and np.array_equal(y, before[2])


def test_predict_is_the_argmax_of_the_probabilities():
    params, X, _ = random_problem(20, 16, 10, 30)
    A2, _ = forward(params, X)
    np.testing.assert_array_equal(mnistnn.predict(params, X), A2.argmax(axis=0))


@pytest.mark.parametrize(
    "make_X, error, message",
    [
        (lambda: np.zeros((5, 784)), ValueError, r"shape \(5, 784\): one ROW per example.*Pass X\.T"),
        (lambda: np.zeros((100, 5)), ValueError, r"W1 has 784 columns .* but X has 100 rows \(shape \(100, 5\)\)"),
        (lambda: np.zeros((784, 5), dtype=np.uint8), TypeError, "scale_pixels"),
        (lambda: np.zeros((5, 28, 28)), ValueError, "flatten_images"),
        (lambda: np.zeros((784, 0)), ValueError, "no examples"),
        (lambda: np.full((784, 2), np.nan), ValueError, "NaN or infinite"),
        (lambda: [[0.0]], TypeError, "NumPy array"),
        (lambda: np.zeros((784, 5), dtype=np.float16), TypeError, r"X is float16.*Use np\.float32 or np\.float64"),
    ],
)
def test_predict_rejects_bad_inputs(make_X, error, message):
    params = init_params(784, 10, 10, rng=np.random.default_rng(0))
    with pytest.raises(error, match=message):
        mnistnn.predict(params, make_X())


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda p: {k: v for k, v in p.items() if k != "b2"}, ValueError, r"missing \['b2'\]"),
        (lambda p: {**p, "W3": p["W2"]}, ValueError, r"missing \['b3'\]"),
        (
            lambda p: {**p, "b1": p["b1"].ravel()},
            ValueError,
            r"params\['b1'\] has shape \(10,\), a flat vector .*b1\.reshape\(-1, 1\)",
        ),
        (lambda p: {**p, "W1": p["W1"][0]}, TypeError, r"params\['W1'\] must be a 2-D float array"),
        (lambda p: {**p, "W2": p["W2"][:, :5]}, ValueError, r"params\['W1'\] has 10 rows but W2 of shape \(10, 5\)"),
        (lambda p: [1, 2], TypeError, "params must be a dict"),
        (lambda p: {**p, "W1": p["W1"].astype(np.float16)}, TypeError, r"params\['W1'\] is float16"),
        (lambda p: {**p, "b2": np.full_like(p["b2"], np.inf)}, ValueError, r"params\['b2'\] contains NaN or infinite"),
    ],
)
def test_predict_rejects_bad_params(change, error, message):
    params = init_params(784, 10, 10, rng=np.random.default_rng(0))
    with pytest.raises(error, match=message):
        mnistnn.predict(change(params), np.zeros((784, 2)))


def test_labels_reach_backward_through_one_hot_which_checks_them():
    params, X, y = random_problem(20, 16, 10, 7)
    _, cache = forward(params, X)
    with pytest.raises(ValueError, match=r"shape \(10, 7\) \(one-hot labels\? pass the digits: Y\.argmax\(axis=0\)\)"):
        backward(params, cache, X, one_hot(y))
    with pytest.raises(ValueError, match=r"y must hold labels in 0\.\.9; got values from -1"):
        backward(params, cache, X, y - 1)


def test_gradient_check_at_a_stationary_point_compares_no_rounding_noise():
    """Found by Hypothesis: every hidden unit dead and uniform outputs, so every true gradient is 0."""
    params = {
        "W1": np.array([[-1.5603562]]),
        "b1": np.zeros((1, 1)),
        "W2": np.array([[-1.02533968], [-1.1056396], [0.37756088]]),
        "b2": np.zeros((3, 1)),
    }
    X, y = np.array([[0.51280462, 0.1359196, 0.68903648]]), np.array([1, 2, 0])
    assert mnistnn.gradient_check(params, X, y) == 0.0
    broken = lambda p, c, X, y: {**backward(p, c, X, y), "b2": np.full((3, 1), 1e-3)}  # noqa: E731
    assert mnistnn.gradient_check(params, X, y, backward_fn=broken) > 0.9
