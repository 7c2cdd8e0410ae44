"""What goes between the grader and the sandboxed worker: plain data as length-prefixed .npz messages.

A message is one .npz archive (never pickled: ``allow_pickle=False`` on both sides) holding a JSON description of
the data and its arrays. Only plain data travels: None, bools, numbers, strings, ``...``, lists, tuples, dicts with
string keys, NumPy arrays of numbers or bools, and the feedback's Seeded, Probe, Outcome and Unsupported. An
ndarray subclass arrives as a plain array; anything else cannot be sent.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from typing import Any, BinaryIO

import numpy as np

from ..feedback.calls import Outcome, Probe, Seeded, Unsupported

LIMIT = 512 * 2**20  # the largest message read (bytes): a bigger answer is refused, not allocated
HEADER = struct.Struct("<Q")


class WireError(RuntimeError):
    """A message that is not plain data, too large, or cut short."""


def _encode(value: Any, arrays: list[np.ndarray]) -> Any:  # noqa: C901  one branch per kind of value
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return {"t": "int", "v": str(int(value))}
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return {"t": "float", "v": repr(number) if math.isfinite(number) else str(number)}
    if value is Ellipsis:
        return {"t": "..."}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise WireError(f"cannot send an array of dtype {value.dtype}")
        arrays.append(np.array(value, subok=False))
        return {"t": "array", "i": len(arrays) - 1}
    if isinstance(value, (list, tuple)):
        return {"t": type(value).__name__, "v": [_encode(item, arrays) for item in value]}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise WireError("dict keys must be strings")
        return {"t": "dict", "v": [[key, _encode(item, arrays)] for key, item in value.items()]}
    if isinstance(value, Seeded):
        return {"t": "seeded", "seed": value.seed, "key": value.key}
    if isinstance(value, Probe):
        return {"t": "probe", "name": value.name, "arrays": _encode(value.arrays, arrays)}
    if isinstance(value, Unsupported):
        return {"t": "unsupported", "type": value.type, "text": value.text}
    if isinstance(value, Outcome):
        return {"t": "outcome", "v": _encode(vars(value), arrays)}
    raise WireError(f"cannot send {type(value).__name__}")


def _decode(data: Any, arrays: dict[str, np.ndarray]) -> Any:  # noqa: C901  one branch per kind of value
    if data is None or isinstance(data, (bool, str)):
        return data
    if not isinstance(data, dict) or "t" not in data:
        raise WireError("malformed message")
    kind = data["t"]
    if kind == "int":
        return int(data["v"])
    if kind == "float":
        return float(data["v"])
    if kind == "...":
        return Ellipsis
    if kind == "array":
        return arrays[f"a{int(data['i'])}"]
    if kind in ("list", "tuple"):
        items = [_decode(item, arrays) for item in data["v"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {str(key): _decode(item, arrays) for key, item in data["v"]}
    if kind == "seeded":
        return Seeded(int(data["seed"]), str(data["key"]))
    if kind == "probe":
        return Probe(str(data["name"]), _decode(data["arrays"], arrays))
    if kind == "unsupported":
        return Unsupported(str(data["type"]), str(data["text"]))
    if kind == "outcome":
        fields = _decode(data["v"], arrays)
        return Outcome(
            **{
                key: fields[key]
                for key in ("status", "value", "error", "inside", "changed", "undefined_name")
                if key in fields
            }
        )
    raise WireError(f"unknown kind {kind!r}")


def encode(value: Any) -> bytes:
    """One message: the value as an .npz archive (JSON description plus arrays)."""
    arrays: list[np.ndarray] = []
    description = json.dumps(_encode(value, arrays)).encode()
    buffer = io.BytesIO()
    np.savez(
        buffer,
        __json__=np.frombuffer(description, dtype=np.uint8),
        **{f"a{index}": array for index, array in enumerate(arrays)},
    )
    return buffer.getvalue()


def decode(payload: bytes) -> Any:
    """The value of one message; arrays are plain base-class arrays, nothing is unpickled."""
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as error:  # noqa: BLE001  whatever a damaged archive raises: the message is not plain data
        raise WireError(f"not a readable message ({type(error).__name__})") from None
    if "__json__" not in arrays:
        raise WireError("malformed message")
    return _decode(json.loads(arrays.pop("__json__").tobytes().decode()), arrays)


def send(fd: int, value: Any) -> None:
    """Write one message to a file descriptor."""
    payload = encode(value)
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def receive(stream: BinaryIO) -> Any:
    """Read one message from a binary stream; WireError when it is cut short or too large."""
    header = stream.read(HEADER.size)
    if len(header) != HEADER.size:
        raise WireError("the other side closed the connection")
    (size,) = HEADER.unpack(header)
    if size > LIMIT:
        raise WireError(f"a message of {size} bytes, more than the {LIMIT} accepted")
    payload = stream.read(size)
    if len(payload) != size:
        raise WireError("the other side closed the connection")
    return decode(payload)
