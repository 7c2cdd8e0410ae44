"""Property-based tests (Hypothesis): the invariants hold for any input, not just the ones we picked."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import mnistnn

finite_logits = st.floats(-1e4, 1e4, allow_nan=False, width=64)


@st.composite
def logit_matrices(draw, dtype=np.float64):
    k = draw(st.integers(1, 12))
    m = draw(st.integers(1, 8))
    return draw(arrays(dtype, (k, m), elements=finite_logits.map(dtype)))


@st.composite
def small_networks(draw):
    """Random params (He or uniform) of a small network, inputs in [0, 1] and labels."""
    n_in, n_hidden, n_out, m = (
        draw(st.integers(1, 6)),
        draw(st.integers(1, 6)),
        draw(st.integers(2, 5)),
        draw(st.integers(1, 6)),
    )
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    params = mnistnn.init_params(n_in, n_hidden, n_out, rng=rng, scheme=draw(st.sampled_from(["he", "uniform"])))
    return params, rng.random((n_in, m)), rng.integers(0, n_out, size=m)


@given(logit_matrices(), st.sampled_from([np.float32, np.float64]))
def test_softmax_columns_are_probabilities(Z, dtype):
    A = mnistnn.softmax(Z.astype(dtype))
    assert A.dtype == dtype and np.isfinite(A).all() and (A >= 0).all()
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-5 if dtype == np.float32 else 1e-12)


@given(logit_matrices(), st.floats(-1e3, 1e3, allow_nan=False))
def test_softmax_ignores_a_constant_added_to_a_column(Z, c):
    np.testing.assert_allclose(mnistnn.softmax(Z + c), mnistnn.softmax(Z), atol=1e-10)


@given(logit_matrices(), st.data())
def test_cross_entropy_from_logits_is_finite_and_matches_log_softmax(Z, data):
    y = data.draw(arrays(np.int64, Z.shape[1], elements=st.integers(0, Z.shape[0] - 1)))
    loss = mnistnn.cross_entropy(Z, y, from_logits=True)
    assert np.isfinite(loss) and loss >= 0
    expected = np.mean([np.logaddexp.reduce(Z[:, i]) - Z[y[i], i] for i in range(len(y))])
    np.testing.assert_allclose(loss, expected, rtol=1e-9, atol=1e-9)


@given(arrays(np.int64, st.integers(1, 50), elements=st.integers(0, 9)))
def test_one_hot_and_argmax_round_trip(y):
    Y = mnistnn.one_hot(y)
    assert Y.shape == (10, len(y)) and (Y.sum(axis=0) == 1).all()
    np.testing.assert_array_equal(Y.argmax(axis=0), y)


@given(small_networks(), st.randoms(use_true_random=False))
def test_forward_is_equivariant_to_the_order_of_examples(network, random):
    params, X, _ = network
    order = np.array(random.sample(range(X.shape[1]), X.shape[1]))
    A2, _ = mnistnn.forward(params, X)
    A2_permuted, _ = mnistnn.forward(params, X[:, order])
    np.testing.assert_allclose(A2_permuted, A2[:, order], rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(small_networks())
def test_backward_matches_central_differences(network):
    params, X, y = network
    assert mnistnn.gradient_check(params, X, y) < 1e-6


@settings(max_examples=30, deadline=None)
@given(small_networks(), st.sampled_from([np.float32, np.float64]))
def test_save_and_load_round_trip_exactly(tmp_path_factory, network, dtype):
    params = {key: value.astype(dtype) for key, value in network[0].items()}
    path = mnistnn.save_params(tmp_path_factory.mktemp("params") / "net.npz", params)
    loaded = mnistnn.load_params(path)
    assert set(loaded) == set(params)
    for key, value in params.items():
        assert loaded[key].dtype == dtype and loaded[key].tobytes() == value.tobytes()
