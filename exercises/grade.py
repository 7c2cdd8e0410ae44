#!/usr/bin/env python3
"""Grade a folder of lab submissions on this machine, without Docker, into a CSV of scores.

    python exercises/grade.py AUTOGRADER.zip SUBMISSIONS/ [-o scores.csv]

Each ``*.ipynb`` (or otter-exported ``*.zip``) in SUBMISSIONS is run by otter-grader's own grading run
(``otter run``, no container) in this Python environment, against every test of the autograder zip,
hidden ones included. One CSV row per submission: its file name, the points of each autograded
question, the total and the points possible. Written questions are graded by hand and are not in the
CSV. Build the autograder first: ``python exercises/build.py --autograder autograders/``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
import time
import warnings
from pathlib import Path


def run_otter(submission: Path, autograder: Path):
    """otter-grader's own grading run of one submission (``otter run``, no container): its GradingResults."""
    with warnings.catch_warnings():
        # otter 7.0.0 and the ipylab it imports use deprecated pandas and traitlets calls: not ours to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import otter.run

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return otter.run.main(str(submission), autograder=str(autograder), output_dir=None, no_logo=True)


def grade_one(submission: Path, autograder: Path) -> dict[str, float]:
    """Run otter's grading of one submission; return {question: points, "total", "possible"}."""
    results = run_otter(submission, autograder)
    scores = {name: float(results.get_score(name)) for name in sorted(results.test_files, key=_question_order)}
    scores["total"], scores["possible"] = float(results.total), float(results.possible)
    return scores


def _question_order(name: str) -> tuple[int, str]:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 0, name)


def grade_folder(autograder: Path, folder: Path, output: Path) -> list[dict[str, object]]:
    """Grade every submission in ``folder``; write and return the rows of the CSV."""
    submissions = sorted([*folder.glob("*.ipynb"), *folder.glob("*.zip")])
    if not submissions:
        raise SystemExit(f"no .ipynb or .zip submissions in {folder}")
    rows = []
    for submission in submissions:
        start = time.perf_counter()
        scores = grade_one(submission, autograder)
        rows.append({"submission": submission.name, **{key: f"{value:g}" for key, value in scores.items()}})
        print(f"{submission.name}: {scores['total']:g} / {scores['possible']:g} "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with output.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("autograder", type=Path, help="the lab's autograder zip (from build.py --autograder)")
    parser.add_argument("submissions", type=Path, help="a folder of submitted notebooks")
    parser.add_argument("-o", "--output", type=Path, default=Path("scores.csv"), help="CSV to write")
    args = parser.parse_args(argv)
    grade_folder(args.autograder, args.submissions, args.output)
    print(args.output.read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
