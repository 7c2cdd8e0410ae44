"""Save trained parameters to an .npz file and load them back, checked (notebook 06)."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import numpy as np

from ._checks import check_layers, layer_keys
from .data import NPZ_LIMIT, DataFormatError, read_npz
from .model import Params


def params_path(path: str | os.PathLike) -> Path:
    """The file :func:`save_params` would write for ``path``, checked before any work is done.

    ``.npz`` is added when the name has no suffix; a symbolic link is followed to its target. Raises
    FileNotFoundError when the folder does not exist, and IsADirectoryError or PermissionError when the
    file cannot be written there.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"cannot save params to {path}: it is a folder; give a file name, e.g. {path / 'params.npz'}"
        )
    if path.suffix == "":
        path = path.with_suffix(".npz")
    target = Path(os.path.realpath(path))  # write through a symbolic link, not over it
    if target.is_dir():
        raise IsADirectoryError(
            f"cannot save params to {path}: it is a folder; give a file name, e.g. {path / 'params.npz'}"
        )
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot save params to {path}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise PermissionError(f"cannot save params to {path}: no permission to write there")
    return path


def save_params(path: str | os.PathLike, params: Params) -> Path:
    """Save params to an .npz file, atomically: an existing file is replaced only once the new one is complete.

    The new file keeps the permissions of the file it replaces (a new file gets the usual ones, as a plain
    ``open()`` would give it), and a symbolic link keeps pointing at it; after a failure no temporary file is
    left behind.

    Parameters
    ----------
    path : path
        Where to write; ``.npz`` is appended when the name has no suffix.
    params : dict
        ``W1``, ``b1``, ..., ``WL``, ``bL`` of consistent shapes (a network of any depth).

    Returns
    -------
    Path
        The file written.
    """
    sizes = check_layers(params)
    path = params_path(path)
    target = Path(os.path.realpath(path))
    tmp = _new_temporary(target)
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY), "wb") as file:
            np.savez(file, **{key: params[key] for key in layer_keys(len(sizes) - 1)})
            file.flush()
            os.fsync(file.fileno())  # on disk before it takes the name
        if target.exists():
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _new_temporary(target: Path) -> Path:
    """Create an empty file beside target with the permissions a plain open() would give a new file.

    ``os.open`` with mode 0o666 lets the system apply the umask, as ``open()`` does; the process-wide umask is
    never read or changed (changing it would race with other threads, e.g. a Jupyter kernel's).
    """
    for _ in range(100):
        tmp = target.with_name(f"{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {target}")


def load_params(path: str | os.PathLike, *, max_bytes: int = NPZ_LIMIT) -> Params:
    """Load params saved by :func:`save_params`, checking keys and shapes.

    Parameters
    ----------
    path : path
        The .npz file.
    max_bytes : int
        The most memory the file's arrays may claim in all (checked from their headers before anything is read).

    Raises
    ------
    FileNotFoundError
        No such file.
    DataFormatError
        Not an .npz, pickled content, arrays claiming more than ``max_bytes``, or keys/shapes that do not make a
        network.
    """
    params = read_npz(path, "an .npz of params saved by save_params", max_bytes=max_bytes)
    try:
        check_layers(params, name=str(path))
    except (ValueError, TypeError) as error:
        raise DataFormatError(f"{path} does not hold valid params: {error}") from None
    return params
