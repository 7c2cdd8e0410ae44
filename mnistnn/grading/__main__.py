"""Grade one submission in this process and print the result as one JSON line (what exercises/grade.py runs).

python -m mnistnn.grading AUTOGRADER SUBMISSION [--call-seconds S] [--submission-seconds S] [--memory MIB]
                                                [--no-sandbox]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import Autograder, Limits, grade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnistnn.grading", description=__doc__.splitlines()[0])
    parser.add_argument("autograder", type=Path)
    parser.add_argument("submission", type=Path)
    parser.add_argument("--call-seconds", type=float, default=Limits.call_seconds)
    parser.add_argument("--submission-seconds", type=float, default=Limits.submission_seconds)
    parser.add_argument("--memory", type=int, default=Limits.memory_bytes // 2**20, metavar="MIB")
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args(argv)
    limits = Limits(args.call_seconds, args.submission_seconds, args.memory * 2**20)
    result = grade(args.submission, Autograder.read(args.autograder), limits=limits, sandbox=not args.no_sandbox)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
