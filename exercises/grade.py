#!/usr/bin/env python3
"""Grade a folder of lab submissions into a CSV of scores, each submission sandboxed, with time and memory limits.

    python exercises/grade.py AUTOGRADER.zip SUBMISSIONS/ [-o scores.csv] [-j 2]
                              [--call-seconds 60] [--submission-seconds 300] [--memory 4096] [--no-sandbox]

Every file in SUBMISSIONS gets a row: the points of each autograded question (public and hidden tests), the total,
the points possible, and, for a file that could not be graded (empty, not a notebook, another lab's, ...), the
reason. Only a submission's function definitions, imports and constants are used: its other cells never run, and
its functions run in a sandbox (bubblewrap, on Linux) that sees no other file. Rows are written as each submission
is graded. Written questions are read by hand: exercises/written.py collects them. Build the autograder first:
python exercises/build.py --autograder autograders/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnistnn.grading import Limits
from mnistnn.grading.folder import grade_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("autograder", type=Path, help="the lab's autograder zip (from build.py --autograder)")
    parser.add_argument("submissions", type=Path, help="a folder of submitted notebooks")
    parser.add_argument("-o", "--output", type=Path, default=Path("scores.csv"), help="CSV to write")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded at a time (e.g. the cores)")
    parser.add_argument(
        "--call-seconds",
        type=float,
        default=Limits.call_seconds,
        help="time limit of one call of a student's function (default %(default)g)",
    )
    parser.add_argument(
        "--submission-seconds",
        type=float,
        default=Limits.submission_seconds,
        help="time limit of one submission (default %(default)g)",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=Limits.memory_bytes // 2**20,
        metavar="MIB",
        help="memory limit of a submission's code, MiB (default %(default)s)",
    )
    parser.add_argument("--no-sandbox", action="store_true", help="run student code without bubblewrap (unsafe)")
    args = parser.parse_args(argv)
    limits = Limits(args.call_seconds, args.submission_seconds, args.memory * 2**20)
    try:
        grade_folder(
            args.autograder,
            args.submissions,
            args.output,
            jobs=args.jobs,
            limits=limits,
            sandbox=not args.no_sandbox,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except KeyboardInterrupt:
        print(f"interrupted: the rows graded so far are in {args.output}", file=sys.stderr)
        return 130
    print(args.output.read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
