"""Written answers: one Markdown file per question holding every student's answer (what a marker reads in one
sitting), a marks sheet to fill in, and the merge of those marks with the autograded CSV.

    python exercises/written.py export SUBMISSIONS/ --master exercises/masters/03_backpropagation.ipynb -o written/
    python exercises/written.py merge scores.csv written/marks.csv -o final.csv
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..feedback.labs import LABS, lab_of
from .folder import FORMULA_START, check_output, safe_cell, submissions
from .submission import BadSubmission, Submission, load_notebook

PLACEHOLDER = "_Type your answer here, replacing this text._"


def _cells(path: Path) -> list[dict]:
    """The notebook's cells, each with its source as one string (an .ipynb, or the notebook of an otter export)."""
    notebook = load_notebook(path)
    return [
        {**cell, "source": "".join(cell["source"]) if isinstance(cell.get("source"), list) else cell.get("source", "")}
        for cell in notebook.get("cells", [])
        if isinstance(cell, dict)
    ]


def _question_number(source: str) -> str | None:
    """q3 for a cell that opens question 3 (otter wraps it in <!-- BEGIN/END QUESTION --> comments)."""
    match = re.match(r"\s*\*\*Question (\d+)", re.sub(r"<!--.*?-->", "", source, flags=re.DOTALL))
    return f"q{match.group(1)}" if match else None


def answers(cells: list[dict], questions: set[str]) -> dict[str, str]:
    """Each written question's answer: the cells after its prompt, up to the next question or section."""
    found: dict[str, list[str]] = {}
    current = None
    for cell in cells:
        source = cell["source"]
        number = _question_number(source) if cell.get("cell_type") == "markdown" else None
        if number is not None or re.sub(r"<!--.*?-->", "", source, flags=re.DOTALL).lstrip().startswith("## "):
            current = number if number in questions else None
            continue
        if current is not None and not source.startswith("grader.check("):
            text = source if cell.get("cell_type") == "markdown" else f"```python\n{source}\n```"
            if text.strip() and PLACEHOLDER not in text:
                found.setdefault(current, []).append(text.strip())
    return {question: "\n\n".join(parts) for question, parts in found.items()}


def guides(master: Path) -> dict[str, tuple[str, str]]:
    """{question: (prompt, marking guide)} of a master's written questions."""
    cells, result, current, prompt = _cells(master), {}, None, ""
    for cell in cells:
        source = cell["source"]
        if cell.get("cell_type") == "markdown" and _question_number(source):
            current, prompt = _question_number(source), source
        elif current and cell.get("cell_type") == "markdown" and source.startswith("**Marking guide**"):
            result[current] = (prompt, source)
    return result


def export(folder: Path, master: Path, out: Path) -> list[Path]:
    """One Markdown file per written question (every student's answer, after the prompt and the marking guide), and
    marks.csv to fill in."""
    lab = lab_of(master)
    questions = {q.name: q for q in LABS[lab].questions if q.written}
    prompts = guides(master)
    out.mkdir(parents=True, exist_ok=True)
    collected: dict[str, dict[str, str]] = {}
    for path in submissions(folder):
        name = path.relative_to(folder).as_posix()
        try:
            Submission.read(path, expected_lab=lab)
            collected[name] = answers(_cells(path), set(questions))
        except (BadSubmission, ValueError, OSError):
            collected[name] = {}
    written = []
    for name, question in questions.items():
        prompt, guide = prompts.get(name, ("", ""))
        parts = [f"# {lab} · {name} ({question.points:g} points): {question.title}", prompt, guide]
        for student, found in collected.items():
            parts.append(f"---\n\n## {student}\n\n{_quoted(found[name]) if name in found else '*(no answer)*'}")
        path = out / f"{lab}-{name}.md"
        path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
        written.append(path)
    sheet = out / "marks.csv"
    check_output(sheet)
    with sheet.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["submission", *(f"{name} (of {question.points:g})" for name, question in questions.items())])
        for student in collected:
            writer.writerow([safe_cell(student), *("" for _ in questions)])
    return [*written, sheet]


def _quoted(answer: str) -> str:
    """A student's answer as a Markdown quote: a heading inside it cannot pass for another student's section."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in answer.splitlines())


def _key(submission: str) -> str:
    """A submission's name as both CSVs write it, whether or not a spreadsheet kept the quote that escapes a
    leading = + - @."""
    return submission[1:] if submission.startswith("'") and submission[1:].startswith(FORMULA_START) else submission


def _mark(text: str, student: str, column: str, most: float | None) -> float:
    """A mark read from the marks sheet (a decimal comma too); a clear error for anything else."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise SystemExit(f"marks.csv, {student}, {column}: {text!r} is not a number (e.g. 1.5 or 1,5)") from None
    if not 0 <= value <= (most if most is not None else float("inf")):
        limit = f"between 0 and {most:g}" if most is not None else "at least 0"
        raise SystemExit(f"marks.csv, {student}, {column}: {text!r} must be {limit}")
    return value


def merge(scores: Path, marks: Path, output: Path) -> list[dict[str, str]]:
    """The autograded CSV with the written marks beside it, and the total of both (a missing mark counts 0 and is
    named in the column "unmarked")."""
    check_output(output)
    with scores.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    with marks.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        written_columns = [column for column in reader.fieldnames or [] if column != "submission"]
        by_student = {_key(row["submission"]): row for row in reader}
    most = {column: _most(column) for column in written_columns}
    merged = []
    for row in rows:
        mark = by_student.get(_key(row["submission"]), {})
        unmarked = [column for column in written_columns if not str(mark.get(column) or "").strip()]
        points = sum(
            _mark(mark[column], row["submission"], column, most[column])
            for column in written_columns
            if column not in unmarked
        )
        merged.append(
            {
                **row,
                **{f"{column.split()[0]} (written)": mark.get(column) or "" for column in written_columns},
                "written": f"{points:g}",
                "grand total": f"{float(row['total']) + points:g}",
                "unmarked": " ".join(column.split()[0] for column in unmarked),
            }
        )
    columns = list(merged[0]) if merged else []
    with output.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for row in merged:
            writer.writerow([safe_cell(row[column]) for column in columns])
    return merged


def _most(column: str) -> float | None:
    """The points a column's question is worth, from its header "q3 (of 2)" (None for a bare "q3")."""
    match = re.search(r"\(of ([0-9.]+)\)", column)
    return float(match.group(1)) if match else None
