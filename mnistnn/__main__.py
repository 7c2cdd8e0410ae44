"""Command line: ``python -m mnistnn train`` trains a network on MNIST and prints its accuracy.

Every option is checked before any data is read; every failure is reported in one line (never a
traceback), with exit status 2 for bad input, 1 for training that failed and 130 for Ctrl-C.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from . import __version__
from ._checks import check_fits_in_memory, check_fraction, check_positive_float, check_positive_int
from .data import DataFormatError, load_dataset, npz_shapes
from .deep import predict
from .metrics import accuracy
from .model import Params
from .params_io import params_path, save_params
from .recipes import ORIGINAL, QUICK, RECIPES, Recipe
from .train import TrainingError

N_TRAIN = 60_000  # MNIST's training images, of which --val-size are held out
SGD_OPTIONS = ("epochs", "batch_size", "momentum", "lr_decay", "optimizer", "l2", "keep", "augment", "patience")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnistnn", description="Train the mnistnn network on the bundled MNIST (no download)."
    )
    parser.add_argument("--version", action="version", version=f"mnistnn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser(
        "train",
        help="train a network and print train/validation/test accuracy",
        description=_described(
            f"Train a network of 784 inputs and 10 outputs on MNIST. By default: {QUICK}. With --iterations N: "
            "full-batch gradient descent, the original notebook's algorithm. The named recipes (--recipe):",
            *(f"{name}: {recipe}" for name, recipe in RECIPES.items()),
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--recipe",
        choices=list(RECIPES),
        help="start from this named configuration (mnistnn.recipes; default quick); other options still override",
    )
    train.add_argument("--original", action="store_true", help="the same as --recipe original")
    train.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        metavar="H",
        help=f"hidden units, one number per hidden layer (default {QUICK.n_hidden}; e.g. --hidden 800 800)",
    )
    train.add_argument("--init", choices=["he", "uniform"], help=f"weight initialisation (default {QUICK.scheme})")
    train.add_argument(
        "--learning-rate",
        type=float,
        metavar="LR",
        help=f"step size (default {QUICK.learning_rate:g}; {ORIGINAL.learning_rate:g} with --original)",
    )
    group = train.add_mutually_exclusive_group()
    group.add_argument("--epochs", type=int, metavar="E", help=f"mini-batch SGD epochs (default {QUICK.epochs})")
    group.add_argument(
        "--iterations",
        type=int,
        metavar="N",
        help="use full-batch gradient descent for N iterations instead of mini-batch SGD",
    )
    train.add_argument("--batch-size", type=int, metavar="B", help=f"SGD batch size (default {QUICK.batch_size})")
    train.add_argument("--momentum", type=float, metavar="MU", help=f"SGD momentum (default {QUICK.momentum:g})")
    train.add_argument(
        "--lr-decay", type=float, metavar="D", help=f"SGD learning-rate factor per epoch (default {QUICK.lr_decay:g})"
    )
    train.add_argument("--optimizer", choices=["momentum", "adam"], help="SGD with momentum (default), or Adam")
    train.add_argument("--l2", type=float, metavar="LAMBDA", help="L2 penalty lambda on the weights (default 0)")
    train.add_argument(
        "--keep", type=float, metavar="P", help="dropout: probability of keeping a hidden unit (default 1, no dropout)"
    )
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="train on random shifts (up to 2 pixels) and rotations (up to 10 degrees) of the images",
    )
    train.add_argument(
        "--patience", type=int, metavar="E", help="early stopping: stop after E epochs without a better validation"
    )
    train.add_argument(
        "--val-size",
        type=int,
        default=10_000,
        metavar="N",
        help="training images held out for validation (default 10000)",
    )
    train.add_argument(
        "--data",
        default="bundled",
        metavar="PATH",
        help="an .npz file in the keras.datasets.mnist layout, or 'keras' (default: the MNIST "
        "copy shipped with mnistnn)",
    )
    train.add_argument("--seed", type=int, default=0, help="seed of the random generator (default 0)")
    train.add_argument(
        "--save", metavar="PATH", help="save the trained params to this .npz file (a new file; see --force)"
    )
    train.add_argument("--force", action="store_true", help="let --save replace a file that already exists")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _described(text: str, *items: str) -> str:
    """A help text's paragraph and its list of items, wrapped without breaking at hyphens (784-800-10)."""
    lines = [textwrap.fill(text, 88, break_on_hyphens=False)]
    lines += [
        textwrap.fill(item, 88, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False) for item in items
    ]
    return "\n".join(lines)


def _recipe(args: argparse.Namespace) -> Recipe:
    """The run's recipe: command-line values over --recipe (or --original, or the default), every value checked.

    Full-batch gradient descent with --iterations, or with --original unless an SGD option asks for
    mini-batches; mini-batch SGD otherwise.
    """
    sgd_given = [f"--{key.replace('_', '-')}" for key in SGD_OPTIONS if getattr(args, key) is not None]
    original = args.original or args.recipe == "original"
    full_batch = args.iterations is not None or (original and not sgd_given)
    if full_batch and sgd_given:
        raise ValueError(
            f"{', '.join(sgd_given)} apply to mini-batch SGD, not to full-batch gradient descent "
            "(--iterations); use --epochs instead"
        )

    def pick(value: object, default: object) -> object:
        return default if value is None else value  # 0 is a value given, to be checked, not a default

    if args.original and args.recipe not in (None, "original"):
        raise ValueError(f"--original is --recipe original; it cannot go with --recipe {args.recipe}")
    base = ORIGINAL if original else RECIPES[args.recipe or "quick"]
    if base.iterations is not None and not full_batch:  # the original network, trained by SGD: QUICK's settings
        base = dataclasses.replace(
            QUICK, name=base.name, n_hidden=base.n_hidden, scheme=base.scheme, learning_rate=base.learning_rate
        )
    network = {
        "name": base.name,
        "n_hidden": base.n_hidden if args.hidden is None else _hidden(args.hidden),
        "scheme": pick(args.init, base.scheme),
        "learning_rate": pick(args.learning_rate, base.learning_rate),
        "dtype": base.dtype,
    }
    if full_batch:
        recipe = Recipe(**network, iterations=pick(args.iterations, pick(base.iterations, ORIGINAL.iterations)))
    else:
        recipe = Recipe(**network, **{key: pick(getattr(args, key), getattr(base, key)) for key in SGD_OPTIONS})
    _check_recipe(recipe)
    return recipe


def _check_recipe(recipe: Recipe) -> None:
    """Every value of the run's recipe, named by its option."""
    for size in recipe.sizes[1:-1]:
        check_positive_int(size, "--hidden")
    check_positive_float(recipe.learning_rate, "--learning-rate")
    if recipe.iterations is not None:
        check_positive_int(recipe.iterations, "--iterations")
    else:
        check_positive_int(recipe.epochs, "--epochs")
        check_positive_int(recipe.batch_size, "--batch-size")
        check_fraction(recipe.momentum, "--momentum")
        check_fraction(recipe.lr_decay, "--lr-decay", low_open=True, high_open=False)
        check_fraction(recipe.keep, "--keep", low_open=True, high_open=False)
        if recipe.l2:
            check_positive_float(recipe.l2, "--l2")
        if recipe.patience is not None:
            check_positive_int(recipe.patience, "--patience")
        if recipe.optimizer == "adam" and recipe.momentum:
            raise ValueError("--momentum is SGD's; Adam keeps its own (use --momentum 0 with --optimizer adam)")


def _hidden(sizes: list[int]) -> int | tuple[int, ...]:
    """--hidden's sizes: one number for one hidden layer, a tuple for several."""
    return sizes[0] if len(sizes) == 1 else tuple(sizes)


def _training_images(data: str) -> tuple[int, str]:
    """How many training images --data holds (read from the file's headers, nothing loaded), and what to call them."""
    if data in ("bundled", "keras"):
        return N_TRAIN, "MNIST's"
    path = Path(data)
    if not path.is_file():
        raise FileNotFoundError(f"--data: no file at {data}")
    shape = npz_shapes(path, "an .npz archive of MNIST arrays").get("x_train")
    if not shape:
        raise DataFormatError(f"--data: {data} has no array x_train (the keras.datasets.mnist layout is expected)")
    return shape[0], f"{path.name}'s"


def _check_run(args: argparse.Namespace, recipe: Recipe) -> None:
    """Everything that can be checked before the data is read and training starts."""
    val_size = check_positive_int(args.val_size, "--val-size")
    n_train, whose = _training_images(args.data)
    if val_size >= n_train:
        raise ValueError(f"--val-size must be less than {whose} {n_train} training images; got {val_size}")
    if recipe.batch_size is not None and recipe.batch_size > n_train - val_size:
        raise ValueError(
            f"--batch-size must be at most the {n_train - val_size} training images left after "
            f"--val-size {val_size}; got {recipe.batch_size}"
        )
    if args.seed < 0:
        raise ValueError(f"--seed must be a whole number >= 0; got {args.seed}")
    columns = recipe.batch_size or n_train - val_size  # examples in one forward pass
    weights = sum((n_prev + 1) * n for n_prev, n in itertools.pairwise(recipe.sizes))
    check_fits_in_memory(
        8 * weights * 4 + 8 * 4 * sum(recipe.sizes[1:]) * columns,  # params, their copies and steps; activations
        f"training a {'-'.join(map(str, recipe.sizes))} network",
        "choose fewer hidden units (--hidden)",
    )
    if args.save:
        _check_save(args)


def _check_save(args: argparse.Namespace) -> None:
    """--save names a writable new file, never the --data file, and an existing file only with --force."""
    save = params_path(args.save)  # a folder that is missing or read-only: say so now
    if args.data not in ("bundled", "keras") and save.exists() and save.samefile(args.data):
        raise ValueError(
            f"--save {args.save} is the --data file: saving would overwrite the data set with the "
            "params; choose another file name"
        )
    if save.exists() and not args.force:
        raise FileExistsError(f"--save: {save} already exists; choose another name, or add --force to replace it")


def _save(path: str, params: Params) -> None:
    """Save the trained params; if that fails, save them to a fallback file and say where (they are not lost)."""
    try:
        print(f"saved params to {save_params(path, params)}")
    except OSError as error:
        fallback = Path(tempfile.gettempdir()) / f"mnistnn-params-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.npz"
        saved = save_params(fallback, params)
        raise OSError(f"could not save to {path} ({error}); the trained params are saved in {saved} instead") from None


def _train(args: argparse.Namespace) -> None:
    recipe = _recipe(args)
    _check_run(args, recipe)
    rng = np.random.default_rng(args.seed)
    data = load_dataset(rng=rng, val_size=args.val_size, source=args.data, dtype=np.dtype(recipe.dtype).type)
    print(f"{recipe} on {data.X_train.shape[1]} images, seed {args.seed}", flush=True)
    start = time.perf_counter()
    validation = {"X_val": data.X_val, "y_val": data.y_val} if recipe.patience else {}
    params, history = recipe.train(
        recipe.init_params(rng=rng), data.X_train, data.y_train, rng=rng, progress=not args.no_progress, **validation
    )
    if recipe.patience and len(history["epoch"]) < recipe.epochs:
        print(f"stopped early after epoch {len(history['epoch'])}; kept the params of the best validation epoch")
    print(f"trained in {time.perf_counter() - start:.1f} s")
    for name, X, y in (
        ("train", data.X_train, data.y_train),
        ("validation", data.X_val, data.y_val),
        ("test", data.X_test, data.y_test),
    ):
        print(f"{name + ' accuracy':<20} {accuracy(y, predict(params, X)):.2%}")
    if args.save:
        _save(args.save, params)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 on success)."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "train":
            _train(args)
    except TrainingError as error:
        print(f"mnistnn: training failed: {error}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, OSError, ImportError, MemoryError) as error:
        print(f"mnistnn: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mnistnn: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  never a traceback: say what happened in one line
        print(f"mnistnn: unexpected error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
