#!/usr/bin/env python3
"""The written answers of a lab, for a teacher to mark, and the merge of those marks with the autograded scores.

python exercises/written.py export SUBMISSIONS/ --master exercises/masters/03_backpropagation.ipynb -o written/
    one Markdown file per written question (its prompt, its marking guide, then every student's answer),
    and written/marks.csv, one row per student, to fill in
python exercises/written.py merge scores.csv written/marks.csv -o final.csv
    the autograded scores (from grade.py) with the written marks beside them and the grand total
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnistnn.grading.written import export, merge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export", help="the written answers, one Markdown file per question")
    out.add_argument("submissions", type=Path)
    out.add_argument("--master", type=Path, required=True, help="the lab's master notebook (prompts, marking guides)")
    out.add_argument("-o", "--output", type=Path, default=Path("written"))
    both = commands.add_parser("merge", help="the autograded CSV and the written marks, in one CSV")
    both.add_argument("scores", type=Path)
    both.add_argument("marks", type=Path)
    both.add_argument("-o", "--output", type=Path, default=Path("final.csv"))
    args = parser.parse_args(argv)
    if args.command == "export":
        for path in export(args.submissions, args.master, args.output):
            print(f"wrote {path}")
    else:
        rows = merge(args.scores, args.marks, args.output)
        print(f"wrote {args.output}: {len(rows)} students")
    return 0


if __name__ == "__main__":
    sys.exit(main())
