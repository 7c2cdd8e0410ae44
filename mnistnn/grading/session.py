"""Grading one submission: its functions in a sandboxed worker, the checks and their answers in this process.

``Session.open(notebook, lab)`` reads the submission, keeps its definitions (the same rules as the self-check:
imports, functions and constants, see :mod:`mnistnn.feedback.definitions`; nothing else of the notebook runs), and
starts a worker for them.
``session.check("q3", hidden=True)`` runs question 3's check with :class:`Sandboxed`, a student whose calls go to
the worker; the answers come back as plain data and are compared here, where the submission cannot reach. A call
that does not return within the limit is stopped (the worker is killed and started again for what comes next);
after the submission's time limit, the questions left score 0 with the reason.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from ..feedback.calls import Outcome
from ..feedback.core import CHECKS, Case, run
from ..feedback.labs import LABS, QuestionResult, Variant
from ..feedback.student import Student
from .sandbox import Limits, bubblewrap, limit_memory, plain_environment, worker_command
from .submission import Submission
from .wire import WireError, decode, send


class Worker:
    """A sandboxed worker process holding one submission's definitions."""

    def __init__(self, cells: list[str], forbidden: tuple[str, ...], limits: Limits, sandbox: str | None):
        self.cells, self.forbidden, self.limits, self.sandbox = cells, forbidden, limits, sandbox
        self.process: subprocess.Popen | None = None
        self.problems: list[str] = []
        self.names: list[str] = []

    def start(self) -> None:
        env = None if self.sandbox else plain_environment()
        self.process = subprocess.Popen(
            worker_command(self.sandbox),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd="/" if self.sandbox else None,
            preexec_fn=limit_memory(self.limits.memory_bytes),  # noqa: PLW1509  this process starts no thread
        )
        answer = self.ask(
            {"op": "define", "cells": self.cells, "forbidden": list(self.forbidden)}, self.limits.call_seconds
        )
        self.problems, self.names = answer.get("problems", []), answer.get("names", [])

    def ask(self, message: dict, seconds: float) -> dict:
        """Send a message; the answer, or TimeoutError / WireError (the worker is then stopped)."""
        if self.process is None or self.process.poll() is not None:
            raise WireError("the worker is not running")
        try:
            send(self.process.stdin.fileno(), message)
            return self._read(seconds)
        except (OSError, WireError, TimeoutError):
            self.stop()
            raise

    def _read(self, seconds: float) -> dict:
        """One answer, read within the time limit (a length-prefixed message)."""
        deadline, data, size = time.monotonic() + seconds, b"", None
        stream = self.process.stdout.fileno()
        while size is None or len(data) < size + 8:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(stream, 1 << 20)
            if not chunk:
                raise WireError("the worker ended (it crashed, ran out of memory, or the code exited)")
            data += chunk
            if size is None and len(data) >= 8:
                size = int.from_bytes(data[:8], "little")
                if size > 512 * 2**20:
                    raise WireError("the worker's answer is too large")
        return decode(data[8 : 8 + size])

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()
        self.process = None


class Sandboxed(Student):
    """A student whose functions run in a worker; every answer is checked here."""

    has_values = False

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def _execute(self, requests: list[tuple[str, tuple, dict]]) -> tuple[list[Outcome], list[str], list[str]]:
        session = self.session
        left = session.limits.submission_seconds - (time.monotonic() - session.started)
        if left <= 0:
            limit = f"the submission's time limit ({session.limits.submission_seconds:g} s)"
            return [Outcome("timed_out", error=limit) for _ in requests], [], []
        if session.worker.process is None:
            try:
                session.worker.start()
            except TimeoutError:
                limit = f"{session.limits.call_seconds:g} s: loading the notebook's definitions took longer"
                return [Outcome("timed_out", error=limit) for _ in requests], [], []
            except WireError as error:
                return [Outcome("raised", error=f"WorkerError: {error}") for _ in requests], [], []
        seconds = min(session.limits.call_seconds * len(requests), left)
        try:
            answer = session.worker.ask({"op": "calls", "requests": [list(request) for request in requests]}, seconds)
        except TimeoutError:
            limit = f"{seconds:g} s"
            return [Outcome("timed_out", error=limit) for _ in requests], [], []
        except WireError as error:
            return [Outcome("raised", error=f"WorkerError: {error}") for _ in requests], [], []
        return answer["outcomes"], answer["called"], answer["package"]


@dataclass
class Session:
    """The grading of one submission: ``check(question)`` prints one line and scores it."""

    submission: Submission
    lab: str
    variant: Variant
    limits: Limits
    worker: Worker
    started: float = field(default_factory=time.monotonic)
    failures: dict[str, str] = field(default_factory=dict)  # question: the line of its first failing check

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        lab: str,
        *,
        variant: str | Variant = "public",
        limits: Limits | None = None,
        sandbox: str | bool | None = True,
    ) -> Session:
        """Read a submission and start its worker (in bubblewrap when it works here and sandbox is True)."""
        limits = limits or Limits()
        submission = Submission.read(Path(path), expected_lab=lab)
        program = bubblewrap() if sandbox is True else (sandbox or None)
        worker = Worker(submission.code_cells, LABS[lab].forbidden, limits, program)
        return cls(submission, lab, Variant.of(variant), limits, worker)

    def check(self, question: str, *, hidden: bool = False) -> QuestionResult:
        spec = LABS[self.lab].question(question)
        if spec.written:
            raise ValueError(f"{question} is a written question: it is read by a teacher, not checked")
        feedback = run(CHECKS[spec.check], Sandboxed(self), Case(hidden=hidden, variant=self.variant))
        if not feedback.passed:
            self.failures.setdefault(question, feedback.message)
        return QuestionResult(spec, feedback)

    def close(self) -> None:
        self.worker.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class Unreadable:
    """A submission that cannot be graded: every question scores 0 and says why."""

    reason: str
    lab: str

    def check(self, question: str, *, hidden: bool = False) -> QuestionResult:
        from ..feedback.core import Code, Feedback

        spec = LABS[self.lab].question(question)
        return QuestionResult(spec, Feedback(spec.check or question, Code.NOT_DEFINED, f"not graded: {self.reason}."))


def open_for_otter(path: str, lab: str, variant: str = "public") -> Session | Unreadable:
    """A session for otter's kernel (the plugin's cell); a file that is not a lab notebook scores 0, saying why."""
    from .submission import BadSubmission

    try:
        return Session.open(path, lab, variant=variant)
    except BadSubmission as error:
        return Unreadable(str(error), lab)
