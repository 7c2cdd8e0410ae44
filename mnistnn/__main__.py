"""Command line: ``python -m mnistnn train`` trains a network on MNIST and prints its accuracy."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from . import __version__
from .data import load_dataset
from .metrics import accuracy
from .model import init_params, predict
from .params_io import params_path, save_params
from .train import DivergenceError, gradient_descent, sgd

#: The default run: mini-batch SGD with momentum (notebook 06's recipe, fewer units so it is quick).
DEFAULTS = {"hidden": 128, "init": "he", "learning_rate": 0.1, "momentum": 0.9, "lr_decay": 0.9,
            "batch_size": 128, "epochs": 8, "iterations": None}
#: ``--original``: the classroom notebook's configuration (784-10-10, full batch, 500 iterations).
ORIGINAL = {"hidden": 10, "init": "uniform", "learning_rate": 0.1, "iterations": 500}
SGD_ONLY = ("epochs", "batch_size", "momentum", "lr_decay")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mnistnn",
                                     description="Train the mnistnn network on the bundled MNIST (no download).")
    parser.add_argument("--version", action="version", version=f"mnistnn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser(
        "train", help="train a network and print train/validation/test accuracy",
        description="Train a 784-h-10 network on MNIST. By default: mini-batch SGD with momentum "
                    f"({DEFAULTS['hidden']} hidden units, He init, {DEFAULTS['epochs']} epochs). With "
                    "--iterations N: full-batch gradient descent, the original notebook's algorithm. "
                    "--original: exactly the original notebook's configuration.")
    train.add_argument("--original", action="store_true",
                       help="the original notebook: 10 hidden units, uniform init, learning rate 0.1, "
                            "500 full-batch iterations (other options still override)")
    train.add_argument("--hidden", type=int, metavar="H", help=f"hidden units (default {DEFAULTS['hidden']})")
    train.add_argument("--init", choices=["he", "uniform"], help=f"weight initialisation (default {DEFAULTS['init']})")
    train.add_argument("--learning-rate", type=float, metavar="LR",
                       help=f"step size (default {DEFAULTS['learning_rate']}; 0.1 with --original)")
    group = train.add_mutually_exclusive_group()
    group.add_argument("--epochs", type=int, metavar="E", help=f"mini-batch SGD epochs (default {DEFAULTS['epochs']})")
    group.add_argument("--iterations", type=int, metavar="N",
                       help="use full-batch gradient descent for N iterations instead of mini-batch SGD")
    train.add_argument("--batch-size", type=int, metavar="B", help=f"SGD batch size (default {DEFAULTS['batch_size']})")
    train.add_argument("--momentum", type=float, metavar="MU", help=f"SGD momentum (default {DEFAULTS['momentum']})")
    train.add_argument("--lr-decay", type=float, metavar="D",
                       help=f"SGD learning-rate factor per epoch (default {DEFAULTS['lr_decay']})")
    train.add_argument("--val-size", type=int, default=10_000, metavar="N",
                       help="training images held out for validation (default 10000)")
    train.add_argument("--data", default="bundled", metavar="PATH",
                       help="an .npz file in the keras.datasets.mnist layout, or 'keras' (default: the MNIST "
                            "copy shipped with mnistnn)")
    train.add_argument("--seed", type=int, default=0, help="seed of the random generator (default 0)")
    train.add_argument("--save", metavar="PATH", help="save the trained params to this .npz file")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _settings(args: argparse.Namespace) -> dict:
    """The run's settings: command-line values over the preset (--original or the defaults).

    Full-batch gradient descent with --iterations, or with --original unless an SGD option asks for
    mini-batches; mini-batch SGD otherwise (``iterations`` is then None).
    """
    sgd_given = [f"--{key.replace('_', '-')}" for key in SGD_ONLY if getattr(args, key) is not None]
    full_batch = args.iterations is not None or (args.original and not sgd_given)
    if full_batch and sgd_given:
        raise ValueError(f"{', '.join(sgd_given)} apply to mini-batch SGD, not to full-batch gradient descent "
                         "(--iterations); use --epochs instead")
    preset = {**DEFAULTS, **ORIGINAL} if args.original else DEFAULTS
    settings = {key: getattr(args, key) if getattr(args, key) is not None else preset[key] for key in DEFAULTS}
    if full_batch:
        settings["iterations"] = settings["iterations"] or ORIGINAL["iterations"]
    else:
        settings["iterations"] = None
    return settings


def _train(args: argparse.Namespace) -> None:
    settings = _settings(args)
    if args.save:
        params_path(args.save)  # a missing folder is reported now, not after training
    rng = np.random.default_rng(args.seed)
    data = load_dataset(rng=rng, val_size=args.val_size, source=args.data)
    params = init_params(data.X_train.shape[0], settings["hidden"], 10, rng=rng, scheme=settings["init"])
    progress = not args.no_progress
    start = time.perf_counter()
    if settings["iterations"] is not None:
        print(f"full-batch gradient descent: 784-{settings['hidden']}-10, {settings['init']} init, "
              f"learning rate {settings['learning_rate']:g}, {settings['iterations']} iterations "
              f"on {data.X_train.shape[1]} images, seed {args.seed}", flush=True)
        params, _ = gradient_descent(params, data.X_train, data.y_train, learning_rate=settings["learning_rate"],
                                     iterations=settings["iterations"], progress=progress)
    else:
        print(f"mini-batch SGD: 784-{settings['hidden']}-10, {settings['init']} init, learning rate "
              f"{settings['learning_rate']:g} (x{settings['lr_decay']:g} per epoch), momentum "
              f"{settings['momentum']:g}, batch size {settings['batch_size']}, {settings['epochs']} epochs "
              f"on {data.X_train.shape[1]} images, seed {args.seed}", flush=True)
        params, _ = sgd(params, data.X_train, data.y_train, rng=rng, learning_rate=settings["learning_rate"],
                        momentum=settings["momentum"], lr_decay=settings["lr_decay"],
                        batch_size=settings["batch_size"], epochs=settings["epochs"], progress=progress)
    seconds = time.perf_counter() - start
    print(f"trained in {seconds:.1f} s")
    for name, X, y in (("train", data.X_train, data.y_train), ("validation", data.X_val, data.y_val),
                       ("test", data.X_test, data.y_test)):
        print(f"{name + ' accuracy':<20} {accuracy(y, predict(params, X)):.2%}")
    if args.save:
        print(f"saved params to {save_params(args.save, params)}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 on success)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            _train(args)
    except DivergenceError as error:
        print(f"mnistnn: training diverged: {error}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, OSError, ImportError) as error:
        print(f"mnistnn: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mnistnn: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
