"""Benchmark of mnistnn: `python -m bench` from the repository (with the .venv Python).

Prints, in one run:
1. the original notebook's algorithm, verbatim (mnistnn/original.py), against mnistnn.gradient_descent;
2. the time mini-batch training takes to reach 98.0% test accuracy, mnistnn.sgd against Keras (JAX);
3. the wall time of every notebook under nbval;
4. the peak memory (max RSS) of each training run.
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

from mnistnn.recipes import FINAL, ORIGINAL

ROOT = Path(__file__).resolve().parents[1]
# Section 1 runs the ORIGINAL recipe, section 2 the FINAL one (mnistnn.recipes), for at most "epochs" epochs.
FULL = {"images": 42_000, "iterations": ORIGINAL.iterations, "timing_repeats": 3, "timing_iterations": 20,
        "hidden": FINAL.n_hidden, "epochs": 8, "target": 0.98}
QUICK = {"images": 1_000, "iterations": 3, "timing_repeats": 1, "timing_iterations": 2,
         "hidden": 16, "epochs": 1, "target": 0.5}


# --- the training runs, each executed in a child process ---------------------------------------
def _original(config: dict) -> dict:
    """The verbatim original: ms per iteration (median of repeats) and the accuracy after all iterations."""
    import numpy as np

    import mnistnn
    from mnistnn import original

    data = mnistnn.load_dataset(rng=np.random.default_rng(0))
    X, Y = data.X_train[:, :config["images"]], data.y_train[:config["images"]]
    original.m = X.shape[1]

    def run(iterations: int) -> tuple[float, tuple]:
        np.random.seed(0)  # noqa: NPY002  the original draws from the global state
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):      # it prints every 10 iterations
            result = original.gradient_descent(X, Y, ORIGINAL.learning_rate, iterations)
        return (time.perf_counter() - start) / iterations, result

    ms = statistics.median(run(config["timing_iterations"])[0] for _ in range(config["timing_repeats"])) * 1000
    _, (W1, b1, W2, b2) = run(config["iterations"])
    accuracy = float((original.get_predictions(original.forward_prop(W1, b1, W2, b2, X)[3]) == Y).mean())
    return {"ms_per_iteration": ms, "train_accuracy": accuracy}


def _mnistnn_gd(config: dict) -> dict:
    """mnistnn.gradient_descent from the same initial weights (the original's seeded draws), float32."""
    import numpy as np

    import mnistnn
    from mnistnn import original

    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=np.float32)
    X, y = data.X_train[:, :config["images"]], data.y_train[:config["images"]]
    np.random.seed(0)  # noqa: NPY002  the original draws from the global state
    params = {k: v.astype(np.float32) for k, v in zip(("W1", "b1", "W2", "b2"), original.init_params())}

    def run(iterations: int) -> tuple[float, dict]:
        start = time.perf_counter()
        trained, _ = mnistnn.gradient_descent(params, X, y, learning_rate=ORIGINAL.learning_rate, iterations=iterations,
                                              record_every=iterations)
        return (time.perf_counter() - start) / iterations, trained

    ms = statistics.median(run(config["timing_iterations"])[0] for _ in range(config["timing_repeats"])) * 1000
    _, trained = run(config["iterations"])
    return {"ms_per_iteration": ms, "train_accuracy": mnistnn.accuracy(y, mnistnn.predict(trained, X))}


def _epoch_clock(batches_per_epoch: int):
    """A progress callback that records the time at the end of every epoch."""
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

    dtype = getattr(np, config.get("dtype", "float64"))
    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=dtype)
    recipe = dataclasses.replace(FINAL, n_hidden=config["hidden"], epochs=config["epochs"])
    params = recipe.init_params(rng=np.random.default_rng(1), dtype=dtype)
    callback, ends = _epoch_clock(math.ceil(data.X_train.shape[1] / recipe.batch_size))
    _, history = recipe.train(params, data.X_train, data.y_train, rng=np.random.default_rng(2),
                              X_val=data.X_test, y_val=data.y_test, progress=callback)
    return _first_reaching(history["val_accuracy"], ends, config["target"])


def _keras_sgd(config: dict) -> dict:
    """The same architecture, initialisation scheme and optimiser in Keras on JAX (float32, its default)."""
    import math

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    import numpy as np

    import mnistnn

    data = mnistnn.load_dataset(rng=np.random.default_rng(0), dtype=np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(config["hidden"], activation="relu",
                                                                      kernel_initializer="he_normal"),
                              keras.layers.Dense(10, activation="softmax")])
    steps = math.ceil(data.X_train.shape[1] / FINAL.batch_size)
    schedule = keras.optimizers.schedules.ExponentialDecay(FINAL.learning_rate, decay_steps=steps,
                                                           decay_rate=FINAL.lr_decay, staircase=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=FINAL.momentum),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start, ends = time.perf_counter(), []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter() - start)

    history = model.fit(data.X_train.T, data.y_train, batch_size=FINAL.batch_size, epochs=config["epochs"],
                        validation_data=(data.X_test.T, data.y_test), verbose=0, callbacks=[Clock()])
    return _first_reaching(history.history["val_accuracy"], ends, config["target"])


TASKS = {"original": _original, "mnistnn_gd": _mnistnn_gd, "mnistnn_sgd": _mnistnn_sgd, "keras_sgd": _keras_sgd}


def _child(task: str, config: dict) -> dict:
    """Run one task in a fresh Python process; return its result and its peak memory in MB."""
    command = [sys.executable, "-m", "bench", "--task", task, "--config", json.dumps(config)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
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
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", f"default (one per core: {os.cpu_count()})")
    os.environ.setdefault("KERAS_BACKEND", "jax")
    versions = {}
    for name in ("numpy", "keras", "jax", "jaxlib", "nbval"):
        with contextlib.suppress(ImportError):
            versions[name] = __import__(name).__version__
    return [f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            f"python {platform.python_version()}; BLAS: {blas.get('name')} {blas.get('version')}, threads {threads}",
            "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items())]


def _notebooks() -> list[tuple[str, float, bool]]:
    rows = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 str(path.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True)
        rows.append((path.name, time.perf_counter() - start, result.returncode == 0))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny configuration: checks that the benchmark runs")
    parser.add_argument("--skip-notebooks", action="store_true", help="leave out section 3 (about 3 minutes)")
    parser.add_argument("--task", choices=TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:                                            # inside a child process
        print(json.dumps(TASKS[args.task](json.loads(args.config))))
        return 0

    config = QUICK if args.quick else FULL
    print("\n".join(_machine()))
    print(f"configuration: {'QUICK (smoke test, not a measurement)' if args.quick else 'full'}\n", flush=True)

    original, ours = _child("original", config), _child("mnistnn_gd", config)
    print(f"1. Original algorithm: {ORIGINAL}, here {config['iterations']} full-batch "
          f"iterations on {config['images']:,} images (ms per iteration: median of {config['timing_repeats']} x "
          f"{config['timing_iterations']} iterations)")
    print(f"   {'':28} {'ms/iteration':>12} {'train accuracy':>15}")
    print(f"   {'original notebook (float64)':28} {original['ms_per_iteration']:12.1f} "
          f"{original['train_accuracy']:15.2%}")
    print(f"   {'mnistnn (float32)':28} {ours['ms_per_iteration']:12.1f} {ours['train_accuracy']:15.2%}")
    print(f"   speed-up {original['ms_per_iteration'] / ours['ms_per_iteration']:.1f}x; accuracy difference "
          f"{abs(original['train_accuracy'] - ours['train_accuracy']) * 100:.2f} percentage points\n", flush=True)

    numpy_run, keras_run = _child("mnistnn_sgd", config), _child("keras_sgd", config)
    numpy32_run = _child("mnistnn_sgd", {**config, "dtype": "float32"})
    recipe = dataclasses.replace(FINAL, n_hidden=config["hidden"], epochs=config["epochs"])
    print(f"2. Time to {config['target']:.1%} test accuracy, {recipe} at most")
    print(f"   {'':28} {'seconds':>8} {'epochs':>7} {'test accuracy':>14}")
    for name, run in (("mnistnn (NumPy, float64)", numpy_run), ("mnistnn (NumPy, float32)", numpy32_run),
                      ("Keras 3 on JAX (float32)", keras_run)):
        seconds = f"{run['seconds']:8.1f}" if run["seconds"] is not None else f"{'not reached':>8}"
        print(f"   {name:28} {seconds} {run['epochs'] or '-':>7} {run['accuracy']:14.2%}")
    if numpy_run["seconds"] and numpy32_run["seconds"] and keras_run["seconds"]:
        print(f"   ratio mnistnn / Keras: {numpy_run['seconds'] / keras_run['seconds']:.2f} in float64 (notebook 06), "
              f"{numpy32_run['seconds'] / keras_run['seconds']:.2f} in float32")
    print(flush=True)

    if args.quick or args.skip_notebooks:
        print("3. Notebooks under nbval: skipped\n")
    else:
        rows = _notebooks()
        print("3. Notebooks under nbval (strict), one pytest run each")
        for name, seconds, passed in rows:
            print(f"   {name:36} {seconds:6.1f} s  {'passed' if passed else 'FAILED'}")
        print(f"   total {sum(s for _, s, _ in rows):.1f} s; slowest {max(s for _, s, _ in rows):.1f} s\n")

    print("4. Peak memory (max RSS) of each training run, in its own process")
    for name, run in (("original notebook", original), ("mnistnn gradient_descent", ours),
                      ("mnistnn sgd (float64)", numpy_run), ("mnistnn sgd (float32)", numpy32_run),
                      ("Keras sgd", keras_run)):
        print(f"   {name:28} {run['peak_mb']:8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
