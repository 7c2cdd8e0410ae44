"""The autograder's test files (otter's OK format), run here without importing otter (which takes seconds).

Each file defines ``test = {"name": "q3", "points": 2, "suites": [{"cases": [...]}]}``; a case is a doctest,
here ``>>> grader.check("q3")`` or ``>>> grader.check("q3", hidden=True)`` and the line it must print. Points are
shared as otter shares them: a case's own points, else the question's points split evenly among the cases left.
"""

from __future__ import annotations

import ast
import doctest
import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TestCase:
    code: str
    hidden: bool
    points: float


@dataclass(frozen=True)
class TestFile:
    """One question's test file: its cases and their points."""

    name: str
    cases: tuple[TestCase, ...]
    all_or_nothing: bool = False

    @classmethod
    def parse(cls, source: str) -> TestFile:
        """The test file's ``test`` dict, read as a literal (nothing in it is run)."""
        tree = ast.parse(source)
        spec = next(
            ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "test" for target in node.targets)
        )
        (suite,) = spec["suites"]
        cases = suite["cases"]
        given = [case.get("points") for case in cases]
        total, fixed = spec.get("points"), sum(points for points in given if points is not None)
        unset = sum(points is None for points in given)
        if total is not None:
            share = (total - fixed) / unset if unset else 0.0
        else:
            share = 1 / unset if fixed == 0 and unset else 0.0
        return cls(
            spec["name"],
            tuple(
                TestCase(case["code"], bool(case.get("hidden", True)), float(share if points is None else points))
                for case, points in zip(cases, given)
            ),
            bool(spec.get("all_or_nothing", False)),
        )

    @property
    def possible(self) -> float:
        return sum(case.points for case in self.cases)

    def run(self, environment: dict[str, Any]) -> tuple[float, list[str]]:
        """The points earned against this environment, and the output of each failing case."""
        earned, failures = 0.0, []
        for index, case in enumerate(self.cases):
            passed, output = _doctest(f"{self.name} {index}", case.code, environment)
            if passed:
                earned += case.points
            else:
                failures.append(output)
        if self.all_or_nothing and failures:
            earned = 0.0
        return earned, failures


def _doctest(name: str, text: str, environment: dict[str, Any]) -> tuple[bool, str]:
    examples = [part for part in doctest.DocTestParser().parse(text, name) if isinstance(part, doctest.Example)]
    test = doctest.DocTest(examples, environment, name, None, None, text)
    runner = doctest.DocTestRunner(verbose=False)
    output = io.StringIO()
    with redirect_stdout(output), redirect_stderr(output):
        runner.run(test, clear_globs=False, out=output.write)
    return runner.failures == 0, output.getvalue()
