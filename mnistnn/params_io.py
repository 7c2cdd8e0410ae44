"""Save trained parameters to an .npz file and load them back, checked (notebook 06)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import numpy as np

from ._checks import PARAM_KEYS, check_params
from .data import DataFormatError, read_npz
from .model import Params


def params_path(path: str | os.PathLike) -> Path:
    """The file :func:`save_params` would write for ``path``, checked before any work is done.

    ``.npz`` is added when the name has no suffix; a symbolic link is followed to its target. Raises
    FileNotFoundError when the folder does not exist, and IsADirectoryError or PermissionError when the
    file cannot be written there.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save params to {path}: it is a folder; give a file name, e.g. "
                                f"{path / 'params.npz'}")
    if path.suffix == "":
        path = path.with_suffix(".npz")
    target = Path(os.path.realpath(path))          # write through a symbolic link, not over it
    if target.is_dir():
        raise IsADirectoryError(f"cannot save params to {path}: it is a folder; give a file name, e.g. "
                                f"{path / 'params.npz'}")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot save params to {path}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise PermissionError(f"cannot save params to {path}: no permission to write there")
    return path


def save_params(path: str | os.PathLike, params: Params) -> Path:
    """Save params to an .npz file, atomically: an existing file is replaced only once the new one is complete.

    The new file keeps the permissions of the file it replaces, and a symbolic link keeps pointing at
    it; after a failure no temporary file is left behind.

    Parameters
    ----------
    path : path
        Where to write; ``.npz`` is appended when the name has no suffix.
    params : dict
        ``W1``, ``b1``, ``W2``, ``b2`` of consistent shapes.

    Returns
    -------
    Path
        The file written.
    """
    check_params(params)
    path = params_path(path)
    target = Path(os.path.realpath(path))
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask                          # what a plain open() would have given a new file
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **{key: params[key] for key in PARAM_KEYS})
            file.flush()
            os.fsync(file.fileno())                    # on disk before it takes the name
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def load_params(path: str | os.PathLike) -> Params:
    """Load params saved by :func:`save_params`, checking keys and shapes.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataFormatError
        Not an .npz, pickled content, or keys/shapes that do not make a network.
    """
    params = read_npz(path, "an .npz of params saved by save_params")
    try:
        check_params(params, name=str(path))
    except (ValueError, TypeError) as error:
        raise DataFormatError(f"{path} does not hold valid params: {error}") from None
    return params
