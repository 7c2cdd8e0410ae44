"""What grading keeps of a notebook: imports, function and class definitions, and constants; nothing else runs.

:func:`rebuild` makes a namespace from a submission's cells for the sandboxed worker; :func:`as_graded` makes the
same from the learner's live namespace for the self-check, so that both test the same functions.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Iterable
from typing import Any

from .compare import error_text


def definitions(source: str) -> tuple[str, str | None]:
    """What grading keeps of one code cell: its imports, function and class definitions, and constants.

    Returns the kept code and, when the cell does not parse, the error (the cell is then dropped). IPython lines
    (``%magic``, ``!shell``) are left out. A constant is a name assigned a literal (``EPS = 1e-12``,
    ``SIZES = (784, 10)``) or a lambda; every other statement (training, printing, changing a module) is dropped.
    """
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as error:
        return "", f"SyntaxError: {error.msg} (line {error.lineno})"
    kept = [node for node in tree.body if _kept(node)]
    return ast.unparse(ast.Module(body=kept, type_ignores=[])), None


def _kept(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None or not all(isinstance(target, ast.Name) for target in targets):
            return False
        if isinstance(node.value, ast.Lambda):
            return True
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    return False


def as_graded(live: dict[str, Any]) -> dict[str, Any]:
    """The notebook's namespace as grading will see it, rebuilt from the live one (the self-check's view).

    Kept: modules and what was imported (objects defined elsewhere), constants (literals), and the notebook's own
    functions and classes, defined again from their source code in the new namespace, so that a function using a
    variable some cell computed fails here as it will in grading. Whatever a cell changed in a module stays
    changed, as it is in the learner's kernel.
    """
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    own = []
    for name, value in live.items():
        if name.startswith("_") or name in ("In", "Out", "get_ipython", "exit", "quit"):
            continue
        if _is_literal(value):
            namespace[name] = value
        elif getattr(value, "__module__", None) == "__main__" and isinstance(value, type | types.FunctionType):
            own.append((name, value))
        elif isinstance(value, types.ModuleType) or callable(value) or isinstance(value, type):
            namespace[name] = value
    for name, value in own:
        try:
            source = textwrap.dedent(inspect.getsource(value))
            exec(compile(source, f"<notebook: {name}>", "exec"), namespace)  # noqa: S102  the learner's own code
        except Exception:  # noqa: BLE001  no source to read (made by exec), or it fails run again: as the kernel has it
            namespace[name] = value
    return namespace


def _is_literal(value: Any, depth: int = 0) -> bool:
    """A constant grading keeps: a number, string, bool or None, or a small tuple, list or dict of those."""
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return True
    if depth < 3 and type(value) in (tuple, list, set, frozenset) and len(value) <= 1000:
        return all(_is_literal(item, depth + 1) for item in value)
    if depth < 3 and type(value) is dict and len(value) <= 1000:
        return all(_is_literal(key, depth + 1) and _is_literal(item, depth + 1) for key, item in value.items())
    return False


def rebuild(cells: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """A fresh namespace holding what grading keeps of these cells (in order), and a note per cell that failed."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    problems = []
    for index, source in enumerate(cells):
        code, error = definitions(source)
        if error:
            problems.append(f"cell {index + 1}: {error}")
            continue
        if not code.strip():
            continue
        try:
            exec(compile(code, f"<cell {index + 1}>", "exec"), namespace)  # noqa: S102  the learner's own definitions
        except (Exception, SystemExit) as error:  # noqa: BLE001  a cell that fails to define: go on, say which
            problems.append(f"cell {index + 1}: {error_text(type(error).__name__, str(error))}")
    return namespace, problems
