"""Grade a folder of submissions into a CSV, one process per submission, N at a time, every row kept.

Each file of the folder (notebooks, otter export zips, and whatever else landed there) is copied into a temporary
folder of its own and graded by ``python -m mnistnn.grading`` in a process of its own: a submission that crashes
or hangs its grading costs only its own row. Each row is written to the CSV, and flushed to disk, as soon as its
submission is graded, so an interruption (Ctrl-C), a crash or a full disk keeps every finished row. Cells a
spreadsheet would read as a formula are escaped.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from . import Autograder, Limits
from .sandbox import bubblewrap, why_not_sandboxed

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RUNNING: set[subprocess.Popen] = set()  # the grading processes under way: stopped if grading is interrupted


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ tab or return is escaped with a quote."""
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_output(path: Path) -> None:
    """Refuse an output path that cannot be written, before any grading (nothing would be lost later)."""
    if path.is_dir():
        raise SystemExit(f"-o {path}: it is a folder; give a file name, e.g. {path / 'scores.csv'}")
    if not path.parent.is_dir():
        raise SystemExit(f"-o {path}: the folder {path.parent} does not exist; create it first")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SystemExit(f"-o {path}: no permission to write there")


JUNK = (".DS_Store", "Thumbs.db", "desktop.ini")  # what operating systems leave in folders: no row
JUNK_FOLDERS = ("__MACOSX", ".ipynb_checkpoints", ".git")


def submissions(folder: Path) -> list[Path]:
    """Every file of the folder and its subfolders (a learning platform's download often has one folder per
    student), in name order; hidden files too, so that a stray one gets a row saying what it is. Left out: the
    files operating systems leave (.DS_Store, ...) and the folders of macOS zips, Jupyter's checkpoints and git."""
    if not folder.is_dir():
        raise SystemExit(f"{folder} is not a folder of submissions")
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.name not in JUNK
        and not any(part in JUNK_FOLDERS for part in path.relative_to(folder).parts)
    )
    if not files:
        raise SystemExit(f"no submissions in {folder}")
    return files


def grade_one(submission: Path, autograder_dir: Path, limits: Limits, sandbox: bool) -> dict:
    """Grade one file in a process of its own, from a temporary folder that holds only a copy of it."""
    with tempfile.TemporaryDirectory(prefix="mnistnn-grading-") as tmp:
        copy = Path(tmp) / submission.name
        shutil.copyfile(submission, copy)
        command = [
            sys.executable,
            "-m",
            "mnistnn.grading",
            str(autograder_dir),
            str(copy),
            "--call-seconds",
            str(limits.call_seconds),
            "--submission-seconds",
            str(limits.submission_seconds),
            "--memory",
            str(limits.memory_bytes // 2**20),
            *([] if sandbox else ["--no-sandbox"]),
        ]
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp)
        RUNNING.add(process)
        try:
            stdout, stderr = process.communicate(timeout=limits.submission_seconds + 120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return {
                "status": "not graded",
                "reason": "its grading did not finish in time",
                "scores": {},
                "seconds": time.monotonic() - start,
            }
        finally:
            RUNNING.discard(process)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if process.returncode != 0 or not lines:
            last = (stderr.strip().splitlines() or [f"exit status {process.returncode}"])[-1]
            return {
                "status": "not graded",
                "reason": f"grading failed: {last[:200]}",
                "scores": {},
                "seconds": time.monotonic() - start,
            }
        return json.loads(lines[-1])


class Scores:
    """The CSV: its header written first, then one row per submission, each flushed to disk when written."""

    def __init__(self, path: Path, questions: list[str]):
        self.columns = ["submission", *questions, "total", "possible", "status", "reason", "flags"]
        self.file = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.file)
        self._write(self.columns)

    def _write(self, row: list[object]) -> None:
        self.writer.writerow([safe_cell(cell) for cell in row])
        self.file.flush()
        os.fsync(self.file.fileno())

    def add(self, name: str, result: dict, possible: float) -> None:
        scores = result.get("scores", {})
        row = [
            name,
            *(f"{scores.get(q, 0.0):g}" for q in self.columns[1:-5]),
            f"{result.get('total', 0.0):g}",
            f"{result.get('possible', possible):g}",
            result.get("status", ""),
            result.get("reason", ""),
            "; ".join(result.get("flags", [])),
        ]
        self._write(row)

    def close(self) -> None:
        self.file.close()


def grade_folder(
    autograder: Path,
    folder: Path,
    output: Path,
    *,
    jobs: int = 1,
    limits: Limits | None = None,
    sandbox: bool = True,
    log=print,
) -> list[tuple[str, dict]]:
    """Grade every file of ``folder`` with the autograder (zip or folder) into the CSV ``output``."""
    limits = limits or Limits()
    check_output(output)
    files = submissions(folder)
    if sandbox and bubblewrap() is None:
        log(f"warning: no sandbox: {why_not_sandboxed()}.")
        sandbox = False
    elif not sandbox:
        log("warning: --no-sandbox: student code runs with your rights, with only time and memory limits.")
    with tempfile.TemporaryDirectory(prefix="mnistnn-autograder-") as tmp:
        autograder_dir = _unpack(autograder, Path(tmp))
        spec = Autograder.read(autograder_dir)
        questions = sorted(spec.tests, key=lambda name: (int("".join(c for c in name if c.isdigit()) or 0), name))
        from .tests import TestFile

        possible = sum(TestFile.parse(source).possible for source in spec.tests.values())
        scores, done = Scores(output, questions), []
        try:
            for submission, result in _graded(files, autograder_dir, limits, sandbox, jobs):
                name = submission.relative_to(folder).as_posix()
                scores.add(name, result, possible)
                done.append((name, result))
                shown = result.get("reason") if result.get("status") != "graded" else ""
                log(
                    f"{name}: {result.get('total', 0):g} / {result.get('possible', possible):g} "
                    f"({result.get('seconds', 0):.0f} s){'  ' + shown if shown else ''}"
                )
        finally:
            scores.close()
    return done


def _graded(
    files: list[Path], autograder_dir: Path, limits: Limits, sandbox: bool, jobs: int
) -> Iterator[tuple[Path, dict]]:
    """(submission, result) as each finishes, at most ``jobs`` at a time."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pending: dict[Future, Path] = {}
        queue = list(files)
        try:
            while queue or pending:
                while queue and len(pending) < max(1, jobs):
                    path = queue.pop(0)
                    pending[pool.submit(grade_one, path, autograder_dir, limits, sandbox)] = path
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield pending.pop(future), future.result()
        except BaseException:  # Ctrl-C, a full disk: stop the others, keep what is written
            for future in pending:
                future.cancel()
            for process in list(RUNNING):
                process.kill()
            raise


def _unpack(autograder: Path, into: Path) -> Path:
    """The autograder as a folder (a zip is unpacked into ``into``)."""
    if autograder.is_dir():
        return autograder.resolve()
    if not zipfile.is_zipfile(autograder):
        raise SystemExit(f"{autograder} is not an autograder zip (build one with exercises/build.py --autograder)")
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(into)
    return into
