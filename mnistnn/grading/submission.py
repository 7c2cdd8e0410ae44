"""A submitted lab notebook, read without running anything: its lab, its code cells, its written answers.

Whatever the file is (empty, not JSON, plain text, another lab's notebook, a zip that is not an otter export),
reading it either gives a :class:`Submission` or raises :class:`BadSubmission` whose message is the reason a
teacher reads in the scores' CSV.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..feedback.labs import LAB_NAME

MAX_BYTES = 256 * 2**20  # a lab notebook is a few megabytes, more with many figures; refuse what is far larger
SUSPICIOUS = {  # constructs no lab answer needs: listed for the teacher, never scored
    "sys.setprofile": "replaces the tracer grading uses",
    "sys.settrace": "replaces a tracer",
    "gc.": "walks objects",
    "sys.modules": "reaches into loaded modules",
    "__code__": "rewrites functions",
    "ctypes": "calls C directly",
    "importlib": "reloads modules",
    "builtins": "changes Python's builtins",
    "subprocess": "starts programs",
    "os.system": "starts programs",
    "socket": "opens network connections",
    "open(": "opens files",
    "os.remove": "deletes files",
    "shutil": "moves or deletes files",
    "__import__": "imports by name",
    "exec(": "runs code from a string",
    "eval(": "evaluates code from a string",
    "setattr(": "changes objects",
}


class BadSubmission(ValueError):
    """A file that cannot be graded as this lab; the message says why, for the CSV."""


@dataclass(frozen=True)
class Submission:
    """The parts of a lab notebook that grading uses."""

    path: Path
    lab: str | None
    code_cells: list[str]
    markdown_cells: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path, *, expected_lab: str | None = None) -> Submission:
        """Read a notebook (or the notebook inside an otter export zip); BadSubmission says what is wrong."""
        notebook = load_notebook(path)
        cells = notebook.get("cells")
        if not isinstance(cells, list):
            raise BadSubmission("a JSON file but not a notebook (no list of cells)")
        code, markdown = [], []
        for cell in cells:
            if not isinstance(cell, dict):
                raise BadSubmission("a notebook whose cells are not all cells")
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            if not isinstance(source, str):
                raise BadSubmission("a notebook whose cells hold no text")
            (
                code if cell.get("cell_type") == "code" else markdown if cell.get("cell_type") == "markdown" else []
            ).append(source)
        lab = _lab(notebook, code)
        if expected_lab is not None and lab is not None and lab != expected_lab:
            raise BadSubmission(f"the notebook of {lab}, not of {expected_lab}: graded with the wrong autograder?")
        if expected_lab is not None and lab is None:
            raise BadSubmission(
                f"not a notebook of {expected_lab}: it names no lab (not made from the lab's notebook?)"
            )
        return cls(path, lab, code, markdown)

    def flags(self) -> list[str]:
        """Constructs in the code that no answer needs, for the teacher to look at (they change no score)."""
        found = []
        for source in self.code_cells:
            for text, why in SUSPICIOUS.items():
                if text in source and f"{text}: {why}" not in found:
                    found.append(f"{text}: {why}")
        return found


def load_notebook(path: Path) -> dict:
    """The notebook's JSON, from an .ipynb (any case of the suffix) or from the one notebook of a zip."""
    if path.name.startswith("._"):
        raise BadSubmission("a macOS metadata file (._name), not a notebook: it is made when copying from a Mac")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise BadSubmission(f"cannot be read ({error.strerror or error})") from None
    if size == 0:
        raise BadSubmission("an empty file (0 bytes)")
    if size > MAX_BYTES:
        raise BadSubmission(f"{size / 2**20:.0f} MiB, far larger than a lab notebook")
    if zipfile.is_zipfile(path):
        return _from_zip(path)
    raw = path.read_bytes()
    try:
        notebook = json.loads(raw.decode("utf-8-sig"))  # (a byte-order mark, as some editors write, is fine)
    except UnicodeDecodeError:
        raise BadSubmission("not a text file (not a notebook)") from None
    except json.JSONDecodeError as error:
        kind = (
            "plain text, not a notebook"
            if not raw.lstrip().startswith(b"{")
            else f"broken JSON ({error.msg}, line {error.lineno})"
        )
        raise BadSubmission(f"not a readable notebook: {kind}") from None
    if not isinstance(notebook, dict):
        raise BadSubmission("JSON but not a notebook")
    return notebook


def _from_zip(path: Path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            notebooks = [
                info
                for info in archive.infolist()
                if info.filename.lower().endswith(".ipynb") and not Path(info.filename).name.startswith("._")
            ]
            if len(notebooks) != 1:
                raise BadSubmission(f"a zip with {len(notebooks)} notebooks; an otter export holds exactly one")
            if notebooks[0].file_size > MAX_BYTES:
                raise BadSubmission("a zip whose notebook is far larger than a lab notebook")
            data = archive.read(notebooks[0])
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:
        raise BadSubmission(f"a damaged zip ({error})") from None
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadSubmission("a zip whose notebook is not readable JSON") from None
    if not isinstance(notebook, dict):
        raise BadSubmission("a zip whose notebook is not a notebook")
    return notebook


def _lab(notebook: dict, code: list[str]) -> str | None:
    """The lab a notebook belongs to: its metadata (mnistnn, then otter's), else the Lab("labNN") of its code."""
    metadata = notebook.get("metadata") if isinstance(notebook.get("metadata"), dict) else {}
    for key, field_name in (("mnistnn", "lab"), ("otter", "assignment_name")):
        value = metadata.get(key, {}).get(field_name) if isinstance(metadata.get(key), dict) else None
        if isinstance(value, str) and re.fullmatch(LAB_NAME, value):
            return value
    for source in code:
        match = re.search(rf"""Lab\(\s*["']({LAB_NAME})["']""", source)
        if match:
            return match.group(1)
    return None
