"""Grading lab submissions so that no cell of a submission can change its own score.

- :mod:`.submission` reads a notebook without running it; :mod:`.session` runs its definitions (and nothing else
  of it) in a sandboxed worker (:mod:`.sandbox`, :mod:`.worker`, :mod:`.wire`) and scores each question here,
  with the same checks as the learner's self-check, on the public and the hidden cases.
- :func:`grade` grades one submission against an autograder (the lab's otter test files, which call
  ``grader.check``); ``python -m mnistnn.grading`` does that in a process of its own, printing one JSON line,
  for :mod:`.folder`, which grades a folder of submissions into a CSV (``exercises/grade.py``).
- :mod:`.otter_plugin` makes otter-grader's own run (Gradescope, ``otter grade``) grade the same way.
- :mod:`.written` collects the written answers for a teacher and merges their marks with the CSV.
"""

from __future__ import annotations

import json
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .sandbox import Limits
from .session import Session
from .submission import BadSubmission, Submission
from .tests import TestFile

__all__ = ["Autograder", "BadSubmission", "Limits", "Session", "Submission", "grade"]

PLUGIN = "mnistnn.grading.otter_plugin.Grading"


@dataclass(frozen=True)
class Autograder:
    """What grading a lab needs from its autograder: the lab, the variant, and otter's test files (points and cases).

    Read from an autograder zip (``exercises/build.py --autograder``) or the folder it was unpacked into.
    """

    lab: str
    variant: str
    tests: dict[str, str]  # question name -> the test file's source (otter's OK format)

    @classmethod
    def read(cls, path: Path) -> Autograder:
        if path.is_dir():
            files = {
                str(item.relative_to(path)): item.read_text()
                for item in path.rglob("*")
                if item.is_file() and item.suffix in (".py", ".json")
            }
        else:
            with zipfile.ZipFile(path) as archive:
                files = {
                    name: archive.read(name).decode() for name in archive.namelist() if name.endswith((".py", ".json"))
                }
        config = json.loads(files.get("otter_config.json", "{}"))
        settings = next(
            (plugin[PLUGIN] for plugin in config.get("plugins", []) if isinstance(plugin, dict) and PLUGIN in plugin),
            None,
        )
        if settings is None:
            raise ValueError(
                f"{path} is not an mnistnn autograder: its otter_config.json names no {PLUGIN} "
                "(build it with python exercises/build.py --autograder DIR)"
            )
        tests = {
            Path(name).stem: source
            for name, source in files.items()
            if name.startswith("tests/") and name.endswith(".py")
        }
        return cls(settings["lab"], settings.get("variant", "public"), tests)


def grade(submission: Path, autograder: Autograder, *, limits: Limits | None = None, sandbox: bool = True) -> dict:
    """Score one submission: {"scores": {question: points}, "total", "possible", "status", "reason", "flags"}.

    Every test case of every question runs in this process against a :class:`Session` (the submission's functions
    sandboxed). ``reason``: why each question short of its points lost them (its check's line); ``flags``: what
    grading left out of the notebook or refused to run, and constructs for the teacher to look at. A bad file gets
    status "not graded" and the reason, with 0 for every question.
    """
    start, limits = time.monotonic(), limits or Limits()
    tests = {name: TestFile.parse(source) for name, source in sorted(autograder.tests.items(), key=_question_order)}
    possible = sum(test.possible for test in tests.values())
    result = {
        "scores": {name: 0.0 for name in tests},
        "total": 0.0,
        "possible": possible,
        "status": "graded",
        "reason": "",
        "flags": [],
    }
    try:
        session = Session.open(submission, autograder.lab, variant=autograder.variant, limits=limits, sandbox=sandbox)
    except BadSubmission as error:
        return {**result, "status": "not graded", "reason": str(error), "seconds": time.monotonic() - start}
    with session:
        for name, test in tests.items():
            result["scores"][name] = test.run({"grader": session})[0]
        result["total"] = sum(result["scores"].values())
        result["flags"] = session.submission.flags() + session.worker.problems
        result["reason"] = "; ".join(
            _shorter(f"{name}: {session.failures[name]}")
            for name, test in tests.items()
            if result["scores"][name] < test.possible and name in session.failures
        )
    result["seconds"] = time.monotonic() - start
    return result


def _shorter(line: str, limit: int = 160) -> str:
    """A check's line, cut to ``limit`` characters for the CSV (the whole line is what the learner's check shows)."""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _question_order(item: tuple[str, str]) -> tuple[int, str]:
    """q2 before q10."""
    digits = "".join(c for c in item[0] if c.isdigit())
    return int(digits or 0), item[0]
