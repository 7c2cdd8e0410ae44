"""Benchmark of mnistnn: `python -m bench` from the repository (with the .venv Python).

Prints, in one run:
1. full-batch gradient descent: the original notebook's code, verbatim (mnistnn/original.py), against
   mnistnn.gradient_descent and a pure-JAX jit step, all on the same arrays, in the original's own memory
   layout and in a row-major copy, float64 and float32;
2. the time mini-batch training takes to reach 98.0% test accuracy, mnistnn.sgd against Keras (JAX);
3. the wall time of every notebook under strict nbval, and the memory its kernel peaks at and holds at the end;
4. the peak memory (max RSS) of each training run;
5. what the argument checks cost a learner's own training loop (a mini-batch step with and without them);
6. the seconds grading takes per submission of every lab (solved and blank), sandboxed as exercises/grade.py does;
7. lab 06's training and notebook 04's main run on a shared machine: quiet, under a one-CPU quota (a cgroup, as a
   Binder or CI container runs), and beside two busy processes, with the BLAS threads mnistnn fits and with others;
8. the command line's record recipe (two hidden layers, dropout, augmentation), as a user runs it: time, accuracies;
   and the same recipe in Keras (JAX) on the same images and augmentation.
Each training run happens in a process of its own, so that its peak memory is its own.
`--quick` runs a tiny configuration (a smoke test, not a measurement).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import kernels
from bench.load import NoCgroup, busy_processes, cpu_quota
from mnistnn.recipes import FINAL, ORIGINAL, RECORD

ROOT = Path(__file__).resolve().parents[1]
# Section 1 runs the ORIGINAL recipe, section 2 the FINAL one (mnistnn.recipes), for at most "epochs" epochs.
FULL = {
    "images": 42_000,
    "iterations": ORIGINAL.iterations,
    "timing_repeats": 3,
    "timing_iterations": 100,
    "hidden": FINAL.n_hidden,
    "epochs": 8,
    "target": 0.98,
    "check_rounds": 15,
    "check_steps": 200,
    "load_images": 50_000,
    "load_epochs": 3,
}
QUICK = {
    "images": 1_000,
    "iterations": 3,
    "timing_repeats": 1,
    "timing_iterations": 2,
    "hidden": 16,
    "epochs": 1,
    "target": 0.5,
    "check_rounds": 1,
    "check_steps": 2,
    "load_images": 1_000,
    "load_epochs": 1,
}


# --- the training runs, each executed in a child process ---------------------------------------
def _original_layout(n_images: int):
    """The original notebook's data: a Kaggle-style (n, 785) integer table, label first, and its X = data.T / 255.

    Returns X (784, n) float64 in the original's own memory order (Fortran order: a transposed table) and the
    labels; both implementations are measured on this array and on a C-ordered (row-major) copy of it.
    """
    import numpy as np

    import mnistnn

    (x, y), _ = mnistnn.load_mnist()
    data = np.column_stack([y[:n_images].astype(np.int64), x[:n_images].reshape(n_images, -1)])  # (n, 785)
    data_train = data.T
    return data_train[1:] / 255.0, data_train[0]


def _full_batch(config: dict) -> dict:
    """ms per full-batch iteration, in one run, of one implementation on one layout and dtype.

    With ``config["accuracy"]``, also the training accuracy after all of the original's iterations, from the
    original's own initial weights (its seeded np.random.rand draws) in every implementation.
    """
    import numpy as np

    import mnistnn
    from mnistnn import original

    X, Y = _original_layout(config["images"])
    dtype = np.dtype(config["dtype"])
    X = X.astype(dtype, order="F" if config["layout"] == "F" else "C")
    original.m = X.shape[1]
    np.random.seed(0)  # noqa: NPY002  the original draws its weights from the global state
    start_params = dict(zip(("W1", "b1", "W2", "b2"), (w.astype(dtype) for w in original.init_params())))

    if config["impl"] == "original":

        def train(iterations):
            np.random.seed(0)  # noqa: NPY002  the same initial weights on every call
            with contextlib.redirect_stdout(io.StringIO()):  # it prints every 10 iterations
                W1, b1, W2, b2 = original.gradient_descent(X, Y, ORIGINAL.learning_rate, iterations)
            return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    elif config["impl"] == "mnistnn":

        def train(iterations):
            trained, _ = mnistnn.gradient_descent(
                start_params, X, Y, learning_rate=ORIGINAL.learning_rate, iterations=iterations, record_every=iterations
            )
            return trained
    else:
        train = _jax_gradient_descent(start_params, X, Y)

    if config["impl"] == "jax":
        train(1)  # compile once, not timed
    start = time.perf_counter()
    train(config["timing_iterations"])
    result = {"ms_per_iteration": (time.perf_counter() - start) / config["timing_iterations"] * 1000}
    if config.get("accuracy"):
        trained = {k: np.asarray(v) for k, v in train(config["iterations"]).items()}
        result["train_accuracy"] = float((mnistnn.predict(trained, np.ascontiguousarray(X)) == Y).mean())
    return result


def _jax_gradient_descent(params: dict, X, Y):
    """A pure-JAX full-batch gradient descent (jit-compiled step, autodiff gradients), as a framework reference."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax
    import jax.numpy as jnp

    X, Y_hot = jnp.asarray(X), jax.nn.one_hot(jnp.asarray(Y), 10, axis=0, dtype=X.dtype)  # (784, m), (10, m)

    def loss(p):
        Z2 = p["W2"] @ jax.nn.relu(p["W1"] @ X + p["b1"]) + p["b2"]
        return -jnp.mean(jnp.sum(Y_hot * jax.nn.log_softmax(Z2, axis=0), axis=0))

    @jax.jit
    def step(p):
        grads = jax.grad(loss)(p)
        return {key: p[key] - ORIGINAL.learning_rate * grads[key] for key in p}

    def train(iterations):
        p = {key: jnp.asarray(value) for key, value in params.items()}
        for _ in range(iterations):
            p = step(p)
        return jax.block_until_ready(p)

    return train


def _epoch_clock(batches_per_epoch: int):
    """A progress callback that records the time of every epoch's last step (before sgd scores the epoch)."""
    start, ends = time.perf_counter(), []

    def callback(done: int, total: int, loss: float) -> None:
        if done % batches_per_epoch == 0 or done == total:
            ends.append(time.perf_counter() - start)

    return callback, ends


def _first_reaching(accuracies: list[float], ends: list[float], target: float) -> dict:
    for epoch, (accuracy, seconds) in enumerate(zip(accuracies, ends), start=1):
        if accuracy >= target:
            return {"seconds": seconds, "epochs": epoch, "accuracy": accuracy}
    return {"seconds": None, "epochs": None, "accuracy": accuracies[-1]}


def _mnistnn_sgd(config: dict) -> dict:
    """Notebook 06's final configuration, scored on the test set after every epoch."""
    import math

    import numpy as np

    import mnistnn
    from mnistnn.train import _Monitor

    dtype = getattr(np, config.get("dtype", "float64"))
    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=dtype)
    recipe = dataclasses.replace(FINAL, n_hidden=config["hidden"], epochs=config["epochs"])
    params = recipe.init_params(rng=np.random.default_rng(1), dtype=dtype)
    callback, ends = _epoch_clock(math.ceil(data.X_train.shape[1] / recipe.batch_size))
    trained, history = recipe.train(
        params,
        data.X_train,
        data.y_train,
        rng=np.random.default_rng(2),
        X_val=data.X_test,
        y_val=data.y_test,
        progress=callback,
    )
    # The clock stops at an epoch's last step, before sgd scores the test set; Keras's stops after its scoring. One
    # scoring, the same as sgd's (timed here, once), is added to every epoch's time, so that both count it.
    monitor = _Monitor(False, 1, "batch", recipe.learning_rate, data.X_test, data.y_test)
    start = time.perf_counter()
    monitor.record("epoch", 0, trained, trained)
    scoring = time.perf_counter() - start
    return _first_reaching(history["val_accuracy"], [end + scoring for end in ends], config["target"])


def _compile_for(model, recipe, steps: int) -> None:
    """Compile a Keras model with a recipe's optimiser: SGD with momentum, the learning rate multiplied by lr_decay
    after every epoch of ``steps`` batches, and the cross-entropy of integer labels."""
    import keras

    schedule = keras.optimizers.schedules.ExponentialDecay(
        recipe.learning_rate, decay_steps=steps, decay_rate=recipe.lr_decay, staircase=True
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=recipe.momentum),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def _keras_sgd(config: dict) -> dict:
    """The same architecture, initialisation scheme and optimiser in Keras on JAX (float32, its default)."""
    import math

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    import numpy as np

    import mnistnn

    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(config["hidden"], activation="relu", kernel_initializer="he_normal"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    _compile_for(model, FINAL, math.ceil(data.X_train.shape[1] / FINAL.batch_size))
    start, ends = time.perf_counter(), []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter() - start)

    history = model.fit(
        data.X_train.T,
        data.y_train,
        batch_size=FINAL.batch_size,
        epochs=config["epochs"],
        validation_data=(data.X_test.T, data.y_test),
        verbose=0,
        callbacks=[Clock()],
    )
    return _first_reaching(history.history["val_accuracy"], ends, config["target"])


def _check_cost(config: dict) -> dict:
    """ms per mini-batch step (forward + backward, batch 100, 784-800-10, float64) of a learner's own loop.

    Three ways, taking turns: mnistnn.forward and mnistnn.backward as they are (the equations; one_hot checks the
    labels); the same equations written out with no check at all; and mnistnn's with the full checks of a door
    (params, images, labels) before every step, as forward and backward ran them before they left the maths.
    """
    import numpy as np

    import mnistnn
    from mnistnn._checks import check_images, check_labels, check_params

    rng = np.random.default_rng(0)
    data = mnistnn.load_dataset(rng=rng)
    params = mnistnn.init_params(784, config["hidden"], 10, rng=rng, scheme="he")
    X, y = np.ascontiguousarray(data.X_train[:, :100]), data.y_train[:100]

    def package():
        A2, cache = mnistnn.forward(params, X)
        mnistnn.backward(params, cache, X, y)

    def bare():
        Z1 = params["W1"] @ X + params["b1"]
        A1 = np.maximum(Z1, 0)
        Z2 = params["W2"] @ A1 + params["b2"]
        E = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
        A2 = E / E.sum(axis=0, keepdims=True)
        Y = np.zeros_like(A2)
        Y[y, np.arange(y.size)] = 1
        dZ2 = (A2 - Y) / y.size
        dZ1 = (params["W2"].T @ dZ2) * (Z1 > 0)
        return dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True), dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True)

    def checked():
        n_in = check_params(params)[0]
        check_images(X, "X", n_features=n_in)
        check_labels(y, "y", m=X.shape[1])
        package()

    times = {"package": [], "bare": [], "checked": []}
    for _ in range(config["check_rounds"]):
        for name, step in (("package", package), ("bare", bare), ("checked", checked)):
            start = time.perf_counter()
            for _ in range(config["check_steps"]):
                step()
            times[name].append(1000 * (time.perf_counter() - start) / config["check_steps"])
    return {name: statistics.median(values) for name, values in times.items()}


class _ThreadsWhileTraining:
    """A training run's progress callback that notes the BLAS threads at its first call, while the run trains."""

    def __init__(self):
        self.threads = None

    def __call__(self, *progress) -> None:
        if self.threads is None:
            from mnistnn._threads import blas_threads

            self.threads = blas_threads()


def _lab06_training(config: dict) -> dict:
    """Lab 06's training (its train_sgd, done by mnistnn.sgd): 784-128-10, float32, batch 64, momentum 0.9."""
    import numpy as np

    import mnistnn

    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=np.float32)
    X, y = data.X_train[:, : config["load_images"]], data.y_train[: config["load_images"]]
    params = mnistnn.init_params(784, 128, 10, rng=np.random.default_rng(1), scheme="he", dtype=np.float32)
    watch = _ThreadsWhileTraining()
    start = time.perf_counter()
    mnistnn.sgd(
        params,
        X,
        y,
        rng=np.random.default_rng(2),
        learning_rate=0.1,
        momentum=0.9,
        lr_decay=0.75,
        batch_size=64,
        epochs=config["load_epochs"],
        progress=watch,
    )
    return {"seconds": time.perf_counter() - start, "threads": watch.threads}


def _nb04_training(config: dict) -> dict:
    """Notebook 04's main run: the original recipe, full batch on 41,000 images, validation every 10 iterations."""
    import numpy as np

    import mnistnn

    data = mnistnn.load_dataset(rng=np.random.default_rng(0))
    params = ORIGINAL.init_params(rng=np.random.default_rng(1))
    n = min(41_000, config["load_images"])
    watch = _ThreadsWhileTraining()
    start = time.perf_counter()
    mnistnn.gradient_descent(
        params,
        data.X_train[:, :n],
        data.y_train[:n],
        learning_rate=ORIGINAL.learning_rate,
        iterations=config["iterations"],
        X_val=data.X_val,
        y_val=data.y_val,
        record_every=10,
        progress=watch,
    )
    return {"seconds": time.perf_counter() - start, "threads": watch.threads}


def _keras_record(config: dict) -> dict:
    """The record recipe in Keras on JAX, on the same images as ``train --recipe record`` (the same split, the same
    shifts and rotations drawn by mnistnn.augment for every batch of every epoch): its time and accuracies."""
    import math

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    import numpy as np

    import mnistnn
    from mnistnn.augment import shift_and_rotate

    rng = np.random.default_rng(0)
    data = mnistnn.load_dataset(rng=rng, val_size=config["val_size"], dtype=np.float32)
    keras.utils.set_random_seed(0)
    layers = [keras.Input((784,))]
    for units in config["hidden"]:
        layers += [
            keras.layers.Dense(units, activation="relu", kernel_initializer="he_normal"),
            keras.layers.Dropout(1 - RECORD.keep),  # Keras's rate is the share dropped; inverted, as mnistnn's
        ]
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
    X, y = data.X_train, data.y_train
    steps = math.ceil(X.shape[1] / RECORD.batch_size)

    class Augmented(keras.utils.PyDataset):
        """Every epoch, a new order and new shifts and rotations of every training image."""

        def __init__(self):
            super().__init__()
            self.order = rng.permutation(X.shape[1])

        def __len__(self):
            return steps

        def __getitem__(self, index):
            batch = self.order[index * RECORD.batch_size : (index + 1) * RECORD.batch_size]
            return shift_and_rotate(X[:, batch], rng).T, y[batch]

        def on_epoch_end(self):
            self.order = rng.permutation(X.shape[1])

    _compile_for(model, RECORD, steps)
    start = time.perf_counter()
    model.fit(Augmented(), epochs=config["epochs"], verbose=0)
    seconds = time.perf_counter() - start

    def score(images, labels):
        return float(np.mean(model.predict(images.T, batch_size=1000, verbose=0).argmax(axis=1) == labels))

    return {
        "seconds": seconds,
        "train": score(data.X_train, data.y_train),
        "val": score(data.X_val, data.y_val),
        "test": score(data.X_test, data.y_test),
    }


TASKS = {
    "full_batch": _full_batch,
    "keras_record": _keras_record,
    "mnistnn_sgd": _mnistnn_sgd,
    "keras_sgd": _keras_sgd,
    "check_cost": _check_cost,
    "lab06_training": _lab06_training,
    "nb04_training": _nb04_training,
}


def _child(task: str, config: dict, *, prefix: list[str] = (), env: dict[str, str] | None = None) -> dict:
    """Run one task in a fresh Python process (after ``prefix``, with ``env`` added to the environment); return its
    result and its peak memory in MiB."""
    command = [*prefix, sys.executable, "-m", "bench", "--task", task, "--config", json.dumps(config)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"bench task {task} failed (exit status {status})")
    peak_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return {**json.loads(output.strip().splitlines()[-1]), "peak_mb": peak_kb / 1024}


# --- the report --------------------------------------------------------------------------------
def _machine() -> list[str]:
    import numpy as np

    cpu = platform.processor() or "unknown CPU"
    if Path("/proc/cpuinfo").exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    import threadpoolctl

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    pool = next(pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas")
    chosen = "as set by OPENBLAS_CORETYPE" if os.environ.get("OPENBLAS_CORETYPE") else "chosen by OpenBLAS"
    kernels = f"{pool.get('architecture', 'unknown')} kernels ({chosen})"
    threads = (
        f"{os.environ['OPENBLAS_NUM_THREADS']} (OPENBLAS_NUM_THREADS)"
        if os.environ.get("OPENBLAS_NUM_THREADS")
        else f"{pool['num_threads']} (fitted by mnistnn to the usable CPUs)"
    )
    os.environ.setdefault("KERAS_BACKEND", "jax")
    versions = {}
    for name in ("numpy", "keras", "jax", "jaxlib", "nbval"):
        with contextlib.suppress(ImportError):
            versions[name] = __import__(name).__version__
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"python {platform.python_version()}; BLAS: {blas.get('name')} {blas.get('version')}, {kernels}, threads "
        + threads,
        "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
    ]


MEMORY_CELL = """import resource, sys
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
now = next((int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmRSS")), peak) \\
    if sys.platform.startswith("linux") else peak
print(f"MEMORY {peak:.0f} {now:.0f}")"""


def _notebooks() -> tuple[list[dict], float]:
    """Every notebook under strict nbval in one pytest run, as the test command runs them, and each kernel's memory.

    Returns the rows and the run's wall time. A notebook's seconds are the sum of its cells' (pytest's JUnit
    report), its kernel's start included; pytest's own start-up is in the wall time only, once. The memory comes
    from a second run of each notebook (nbclient, outputs not saved) with one cell added at the end that reports
    the kernel's peak resident memory and what it still holds when the notebook is done.
    """
    import tempfile
    import xml.etree.ElementTree as ET

    import nbclient
    import nbformat

    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "nbval.xml"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
            + [str(path.relative_to(ROOT)) for path in paths],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        cases = list(ET.parse(report).getroot().iter("testcase")) if report.exists() else []
    rows = []
    for path in paths:
        mine = [case for case in cases if case.get("classname") == f"notebooks.{path.name}"]
        passed = bool(mine) and not any(case.find(tag) is not None for case in mine for tag in ("failure", "error"))
        notebook = nbformat.read(path, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(MEMORY_CELL))
        nbclient.NotebookClient(
            notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute(stderr=subprocess.DEVNULL)
        peak, now = map(float, notebook.cells[-1].outputs[0]["text"].split()[1:3])
        seconds = sum(float(case.get("time", 0)) for case in mine)
        rows.append({"name": path.name, "seconds": seconds, "passed": passed, "peak_mb": peak, "held_mb": now})
    return rows, wall


# The OpenBLAS kernel families of the machines this project runs on: SkylakeX on Intel Xeon, Haswell on AMD EPYC.
FAMILIES = ("SkylakeX", "Haswell")


def _families(quick: bool) -> list[str]:
    """The families to measure: those of FAMILIES this CPU runs (the first only, for --quick); says why not others."""
    usable = kernels.runnable()
    for family in FAMILIES:
        if family not in usable:
            print(f"   {family} kernels: not measured: this CPU lacks {kernels.needs(family)}")
    measured = [family for family in FAMILIES if family in usable] or [kernels.current()]
    return measured[:1] if quick else measured


def _section_full_batch(config: dict, families: list[str]) -> dict:
    """Section 1; returns the runs of the first family, for section 4."""
    print(
        f"1. Full-batch gradient descent, the original recipe (784-{ORIGINAL.n_hidden}-10, {ORIGINAL.scheme} init, "
        f"learning rate {ORIGINAL.learning_rate:g}), on {config['images']:,} images, from the original's own "
        f"initial weights; ms per iteration: median of {config['timing_repeats']} runs of "
        f"{config['timing_iterations']} iterations, each in a process of its own, the rows taking turns; training "
        f"accuracy after {config['iterations']} iterations; for each OpenBLAS kernel family (OPENBLAS_CORETYPE)"
    )
    print(
        "   layout F: the original's own X = data.T / 255 (column-major); layout C: a row-major copy of the same "
        "numbers"
    )
    first = {}
    for family in families:
        print(f"   {family} kernels")
        print(f"   {'implementation':34} {'dtype':8} {'layout':6} {'ms/iteration':>12} {'train accuracy':>15}")
        runs = _full_batch_runs(config, family, accuracy=family == families[0])
        first = first or runs
        for (impl, dtype, layout), run in runs.items():
            name = {
                "original": "original notebook (verbatim)",
                "mnistnn": "mnistnn.gradient_descent",
                "jax": "pure JAX, jit-compiled step",
            }[impl]
            shown = f"{run['train_accuracy']:15.2%}" if "train_accuracy" in run else f"{'':15}"
            spread = ", ".join(f"{ms:.1f}" for ms in run["runs"])
            print(
                f"   {name:34} {dtype:8} {layout:6} {run['ms_per_iteration']:12.1f} {shown}  runs: {spread}", flush=True
            )
        for layout in ("F", "C"):
            base = runs["original", "float64", layout]["ms_per_iteration"]
            speed = {
                dtype: base / runs["mnistnn", dtype, layout]["ms_per_iteration"] for dtype in ("float64", "float32")
            }
            print(
                f"   {family}, layout {layout}: mnistnn is {speed['float64']:.2f}x the original's speed in float64 "
                f"(target: at least 1x), {speed['float32']:.2f}x in float32 (target: at least 2x)"
            )
    print()
    return first


def _full_batch_runs(config: dict, family: str, *, accuracy: bool) -> dict:
    """Every row of section 1 with one kernel family, the rows taking turns: {(impl, dtype, layout): run}."""
    rows = (
        ("original", "float64", "F", True),
        ("original", "float64", "C", False),
        ("mnistnn", "float64", "F", False),
        ("mnistnn", "float64", "C", True),
        ("mnistnn", "float32", "F", False),
        ("mnistnn", "float32", "C", True),
        ("jax", "float32", "C", False),
    )
    runs = {row[:3]: [] for row in rows}
    for repeat in range(config["timing_repeats"]):  # in turn, so that the machine's drift touches every row alike
        for impl, dtype, layout, scored in rows:
            task = {**config, "impl": impl, "dtype": dtype, "layout": layout, "accuracy": scored and accuracy}
            task["accuracy"] = task["accuracy"] and not repeat
            runs[impl, dtype, layout].append(_child("full_batch", task, env={"OPENBLAS_CORETYPE": family}))
    return {
        key: {
            **results[0],
            "peak_mb": max(r["peak_mb"] for r in results),
            "ms_per_iteration": statistics.median(r["ms_per_iteration"] for r in results),
            "runs": [r["ms_per_iteration"] for r in results],
        }
        for key, results in runs.items()
    }


def _section_time_to_target(config: dict, families: list[str]) -> dict:
    """Section 2; returns the runs of the first family, for section 4."""
    recipe = dataclasses.replace(FINAL, n_hidden=config["hidden"], epochs=config["epochs"])
    keras_run = _child("keras_sgd", config)
    print(f"2. Time to {config['target']:.1%} test accuracy, {recipe} at most")
    print(f"   {'':36} {'seconds':>8} {'epochs':>7} {'test accuracy':>14}")
    first = {}
    for family in families:
        env = {"OPENBLAS_CORETYPE": family}
        numpy_run = _child("mnistnn_sgd", config, env=env)
        numpy32_run = _child("mnistnn_sgd", {**config, "dtype": "float32"}, env=env)
        first = first or {"mnistnn sgd (float64)": numpy_run, "mnistnn sgd (float32)": numpy32_run}
        for name, run in (
            (f"mnistnn (NumPy, float64), {family}", numpy_run),
            (f"mnistnn (NumPy, float32), {family}", numpy32_run),
        ):
            print(_time_row(name, run))
        if numpy_run["seconds"] and numpy32_run["seconds"] and keras_run["seconds"]:
            print(
                f"   {family}: ratio mnistnn / Keras: {numpy_run['seconds'] / keras_run['seconds']:.2f} in float64 "
                f"(notebook 06), {numpy32_run['seconds'] / keras_run['seconds']:.2f} in float32 (target: at most 0.8)"
            )
    print(_time_row("Keras 3 on JAX (float32, XLA)", keras_run))
    print(flush=True)
    return {**first, "Keras sgd": keras_run}


def _time_row(name: str, run: dict) -> str:
    seconds = f"{run['seconds']:8.1f}" if run["seconds"] is not None else f"{'not reached':>8}"
    return f"   {name:36} {seconds} {run['epochs'] or '-':>7} {run['accuracy']:14.2%}"


def _section_notebooks(skip: bool) -> None:
    """Section 3."""
    if skip:
        print("3. Notebooks under nbval: skipped\n")
        return
    rows, wall = _notebooks()
    print(
        "3. Notebooks: seconds under strict nbval, all in one pytest run as the test command runs them (a "
        "notebook's seconds: its cells', its kernel's start included); the kernel's peak memory, and what it still "
        "holds at the end"
    )
    for row in rows:
        print(
            f"   {row['name']:36} {row['seconds']:6.1f} s  {'passed' if row['passed'] else 'FAILED'}  "
            f"peak {row['peak_mb']:5.0f} MiB, holds {row['held_mb']:5.0f} MiB"
        )
    start_up = wall - sum(row["seconds"] for row in rows)
    from_08 = sum(row["seconds"] for row in rows if row["name"] >= "08")
    print(
        f"   the run {wall:.1f} s, pytest's start-up {start_up:.1f} s of it (01-07: {wall - from_08:.1f} s; targets: "
        f"120 s for 01-07, 150 s in all); slowest {max(r['seconds'] for r in rows):.1f} s (target: 45 s); largest "
        f"kernel peak {max(r['peak_mb'] for r in rows):.0f} MiB (target: 700 MiB); all {len(rows)} kernels left "
        f"running would hold {sum(r['held_mb'] for r in rows):.0f} MiB (Binder's culling shuts idle ones down)\n"
    )


def _section_memory(full_batch: dict, sgd_runs: dict) -> None:
    """Section 4."""
    print("4. Peak memory (max RSS) of the process of each training run above, its data preparation included")
    for (impl, dtype, layout), run in full_batch.items():
        print(f"   {'full batch: ' + impl + ' ' + dtype + ' ' + layout:40} {run['peak_mb']:8.0f} MiB")
    for name, run in sgd_runs.items():
        print(f"   {name:40} {run['peak_mb']:8.0f} MiB")
    print()


def _section_check_cost(config: dict) -> None:
    """Section 5."""
    run = _child("check_cost", config)
    print(
        f"5. What argument checks cost a learner's own training loop: ms per mini-batch step (forward + backward, "
        f"batch 100, 784-{config['hidden']}-10, float64), median of {config['check_rounds']} rounds of "
        f"{config['check_steps']} steps, the three taking turns"
    )
    print(f"   {'mnistnn.forward + mnistnn.backward (the equations)':58} {run['package']:8.3f} ms")
    print(f"   {'the same equations written out, no check at all':58} {run['bare']:8.3f} ms")
    checked = "with a door's full checks before every step"
    print(f"   {checked:58} {run['checked']:8.3f} ms")
    print(
        f"   checks a learner's loop pays: {run['package'] / run['bare'] - 1:+.1%} of a step (target: at most 5%); "
        f"full checks at every step would cost {run['checked'] / run['bare'] - 1:+.1%}\n"
    )


def _section_grading(skip: bool) -> None:
    """Section 6: exercises/build.py's autograders, then one solved and one blank submission of each lab."""
    if skip:
        print("6. Grading: skipped\n")
        return
    import importlib
    import tempfile

    from mnistnn.grading import Autograder, grade
    from mnistnn.grading.sandbox import bubblewrap

    sys.path.insert(0, str(ROOT / "exercises"))
    build = importlib.import_module("build")  # exercises/build.py (by name: a build/ folder may also exist)

    print(
        "6. Grading: seconds per submission (python -m mnistnn.grading's own timing: reading, the sandboxed worker, "
        f"every question's cases), {'in the bubblewrap sandbox' if bubblewrap() else 'WITHOUT a sandbox'}"
    )
    print(f"   {'lab':24} {'solved':>8} {'blank':>8}")
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        build.build(Path(tmp) / "student", Path(tmp) / "autograders")
        for master in build.masters():
            autograder = Autograder.read(Path(tmp) / "autograders" / f"{master.stem}-autograder.zip")
            seconds = [grade(path, autograder)["seconds"] for path in (master, Path(tmp) / "student" / master.name)]
            slowest = max(slowest, seconds[0])
            print(f"   {master.stem:24} {seconds[0]:8.1f} {seconds[1]:8.1f}")
    print(
        f"   a class of 200 solved submissions of the slowest lab with -j 2: about {200 * slowest / 2 / 60:.0f} min\n"
    )


LOAD_CONDITIONS = ("quiet", "under a one-CPU quota", "beside two busy processes")


def _run_loaded(task: str, config: dict, condition: str, threads: int | None) -> dict:
    """One run of a task under a condition; ``threads`` None lets mnistnn fit them, a number sets them."""
    env = {"OPENBLAS_NUM_THREADS": str(threads)} if threads else {}
    if condition == "quiet":
        return _child(task, config, env=env)
    if condition == "beside two busy processes":
        with busy_processes(2):
            return _child(task, config, env=env)
    with cpu_quota(1) as inside:
        return _child(task, config, prefix=inside, env=env)


def _section_load(config: dict) -> None:
    """Section 7: the same training quiet, under a CPU quota and beside busy processes; fitted threads and other."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        "7. On a shared machine: seconds of lab 06's training (784-128-10, float32, batch 64, "
        f"{config['load_epochs']} epochs on {config['load_images']:,} images) and of notebook 04's main run (the "
        f"original recipe, {config['iterations']} iterations); BLAS threads as mnistnn fits them, and the other choice"
    )
    print(f"   {'run':22} {'condition':28} {'fitted':>14} {'other':>14} {'fitted / quiet':>15}")
    for task, name in (("lab06_training", "lab 06 training"), ("nb04_training", "notebook 04 main run")):
        quiet = None
        for condition in LOAD_CONDITIONS:
            try:
                fitted = _run_loaded(task, config, condition, None)
                other = _run_loaded(task, config, condition, cores if fitted["threads"] == 1 else 1)
            except NoCgroup as reason:
                print(f"   {name:22} {condition:28} not measured: {reason}")
                continue
            quiet = quiet or fitted["seconds"]
            cells = [f"{run['seconds']:6.1f} s ({run['threads']} th)" for run in (fitted, other)]
            print(f"   {name:22} {condition:28} {cells[0]:>14} {cells[1]:>14} {fitted['seconds'] / quiet:14.2f}x")
    print(
        "   (th: BLAS threads while training. mnistnn fits them to the CPU affinity and quota, and while it trains to "
        "the CPUs that other processes leave free)\n"
    )


def _section_record(quick: bool, skip: bool) -> None:
    """Section 8: the command line's record recipe, as a user runs it: its time and its three accuracies."""
    if skip:
        print("8. The record recipe: skipped\n")
        return
    argv = ["train", "--recipe", "record", "--no-progress"]
    if quick:
        argv += ["--epochs", "1", "--hidden", "16", "16", "--val-size", "55000"]
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "mnistnn", *argv], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    seconds = time.perf_counter() - start
    print(f"8. python -m mnistnn {' '.join(argv)}: {RECORD}")
    for line in out.splitlines()[1:]:
        print(f"   {line}")
    print(f"   wall time with loading and scoring: {seconds:.0f} s (target: test accuracy at least 99.0%)")
    config = (
        {"hidden": [16, 16], "epochs": 1, "val_size": 55_000}
        if quick
        else {"hidden": list(RECORD.n_hidden), "epochs": RECORD.epochs, "val_size": 10_000}
    )
    keras_run = _child("keras_record", config)
    print(
        f"   Keras (JAX), the same recipe, images and augmentation: {keras_run['seconds']:.0f} s of training "
        f"(against mnistnn's 'trained in' above); accuracy train {keras_run['train']:.2%}, "
        f"validation {keras_run['val']:.2%}, test {keras_run['test']:.2%}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny configuration: checks that the benchmark runs")
    parser.add_argument("--skip-notebooks", action="store_true", help="leave out section 3 (about 5 minutes)")
    parser.add_argument("--skip-grading", action="store_true", help="leave out section 6 (about 2 minutes)")
    parser.add_argument("--skip-record", action="store_true", help="leave out section 8 (about 7 minutes)")
    parser.add_argument("--task", choices=TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:  # inside a child process
        print(json.dumps(TASKS[args.task](json.loads(args.config))))
        return 0
    config = QUICK if args.quick else FULL
    print("\n".join(_machine()))
    print(f"configuration: {'QUICK (smoke test, not a measurement)' if args.quick else 'full'}\n", flush=True)
    families = _families(args.quick)
    full_batch = _section_full_batch(config, families)
    sgd_runs = _section_time_to_target(config, families)
    _section_notebooks(args.quick or args.skip_notebooks)
    _section_memory(full_batch, sgd_runs)
    _section_check_cost(config)
    _section_grading(args.quick or args.skip_grading)
    _section_load(config)
    _section_record(args.quick, args.skip_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
