"""What grading keeps of a notebook, and the rules a kept function follows: the same for the self-check and grading.

Kept, cell by cell in order: imports, function definitions and constants. Nothing else runs: no training, no
printing, no class body, no cell that changes a module. In detail:

- an import of NumPy, math, the standard helpers in ``MODULES`` or mnistnn's public modules (and JAX) imports it;
  any other (matplotlib, pandas, seaborn, tqdm, google.colab, ...) binds its name to :class:`Unavailable`, which
  does nothing when used (``tqdm(range(n))`` is ``range(n)``), and a note says so;
- a function is defined from its source, with its annotations left unevaluated; its decorators and default values
  must be constants (below). A function whose code reaches into Python's machinery (``exec``, ``getattr``,
  ``x.__closure__``, ``str.format``, frames, the grader's own modules, an import grading does not offer) is not
  run: it is replaced by one that raises :class:`Refused` saying why, and its question scores 0 with that reason;
- a constant is a name given a value made of literals, arithmetic on them, names already kept, and attributes
  and calls of the modules above (``EPS = 10 ** -12``, ``SIZES = (784, 10)``, ``activation = np.tanh``,
  ``DTYPE = np.float32``), or a lambda (checked as a function);
- inside ``try`` blocks the same rules apply; ``if`` blocks, loops and classes are left out, with a note.

:func:`rebuild` makes a namespace from a submission's cells for the sandboxed worker; :func:`as_graded` makes the
same from the learner's kernel for the self-check (from IPython's record of the cells run, ``In``), so that both
test the same functions.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import importlib
import inspect
import textwrap
import types
from collections.abc import Iterable
from typing import Any

from .compare import error_text

# Modules a graded function may import and use; mnistnn only through its public modules.
MODULES = ("numpy", "math", "cmath", "functools", "itertools", "collections", "typing", "statistics", "jax")
MNISTNN_MODULES = (
    "mnistnn",
    "mnistnn.data",
    "mnistnn.model",
    "mnistnn.deep",
    "mnistnn.train",
    "mnistnn.metrics",
    "mnistnn.gradcheck",
    "mnistnn.recipes",
    "mnistnn.params_io",
    "mnistnn.plots",
)
# Builtins that reach into Python's machinery (or out of the function): no lab answer needs them.
FORBIDDEN_NAMES = frozenset(
    {
        "exec",
        "eval",
        "compile",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "breakpoint",
        "open",
        "input",
        "help",
        "memoryview",
        "exit",
        "quit",
    }
)
# Attribute names that lead to the interpreter, the system, the grader, or unpickling; every name starting with _
# (private or dunder, e.g. __closure__, __globals__) is refused too.
FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "format",
        "format_map",
        "feedback",
        "grading",
        "original",
        "ctypes",
        "ctypeslib",
        "f2py",
        "testing",
        "os",
        "sys",
        "gc",
        "inspect",
        "importlib",
        "builtins",
        "subprocess",
        "threading",
        "multiprocessing",
        "modules",
        "load",
        "loads",
        "read_array",
        "read_pickle",
        "allow_pickle",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_code",
        "tb_frame",
        "tb_next",
        "co_code",
        "co_consts",
        "cell_contents",
    }
)
# Builtins a constant's value may call (at load time nothing else of the notebook's runs).
SAFE_CALLS = frozenset({"int", "float", "complex", "bool", "str", "tuple", "list", "dict", "set", "frozenset", "range"})
MAX_POWER = 1024  # 10 ** -12 is a constant; 10 ** 10 ** 10 is not
# Imported by every lab notebook for its own use (the self-check, plots): left out without a note.
EXPECTED_IMPORTS = ("mnistnn.feedback", "otter", "matplotlib", "IPython")
# Compiled as with `from __future__ import annotations`: an annotation is never evaluated.
FLAGS = __future__.annotations.compiler_flag


class Refused(Exception):
    """Raised by a function grading does not run, in place of it; the message says why."""


class Unavailable:
    """A module grading does not load (plotting, progress bars, Colab): using it does nothing.

    Attributes and calls give it back again, except that a call's first argument, when it has one, comes back:
    ``tqdm(range(n))`` is ``range(n)``, and ``trange(n)`` is ``range(n)``.
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str) -> Unavailable:
        if attribute.startswith("_"):  # Python's own questions (__code__, __array__, ...): it has none of those
            raise AttributeError(attribute)
        return Unavailable(f"{self._name}.{attribute}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._name.endswith("trange"):
            return range(*args)
        return args[0] if args else self

    def __iter__(self):
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<{self._name}: not available when grading>"


# --------------------------------------------------------------------------------------------- the rules


def module_allowed(name: str) -> bool:
    """Whether grading imports this module for a notebook."""
    parts = name.split(".")
    if any(part.startswith("_") for part in parts):
        return False
    if parts[0] == "mnistnn":
        return name in MNISTNN_MODULES
    return parts[0] in MODULES


def refusals(node: ast.AST) -> list[str]:
    """Why a function (or lambda) cannot be run when grading: what in its code reaches into Python's machinery."""
    found = []
    for inner in ast.walk(node):
        reason = _refusal(inner)
        if reason and reason not in found:
            found.append(reason)
    return found


def _refusal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name) and (node.id in FORBIDDEN_NAMES or node.id.startswith("__")):
        return f"uses {node.id}"
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES:
            return f"uses .{node.attr}"
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            return f"changes an attribute (.{node.attr} = ...)"
    if isinstance(node, ast.keyword) and node.arg in FORBIDDEN_ATTRIBUTES:
        return f"passes {node.arg}="
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _import_refusal(node)
    return None


def _import_refusal(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.Import):
        refused = [alias.name for alias in node.names if not module_allowed(alias.name)]
        return f"imports {refused[0]}" if refused else None
    if node.level or not module_allowed(node.module or ""):
        return f"imports from {'.' * node.level}{node.module or ''}"
    refused = [alias.name for alias in node.names if alias.name.startswith("_") or alias.name in FORBIDDEN_ATTRIBUTES]
    return f"imports {refused[0]} from {node.module}" if refused else None


class _Unsafe(Exception):
    """A value that is not a constant grading can compute without running the notebook's code."""


def constant(node: ast.expr, namespace: dict[str, Any]) -> Any:  # noqa: C901  one branch per kind of expression
    """The value of a constant expression (see the module's docstring); raises _Unsafe for anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = [constant(item, namespace) for item in node.elts]
        return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {constant(key, namespace): constant(value, namespace) for key, value in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        operand = _number(constant(node.operand, namespace))
        return {ast.USub: lambda v: -v, ast.UAdd: lambda v: +v, ast.Not: lambda v: not v}[type(node.op)](operand)
    if isinstance(node, ast.BinOp):
        return _arithmetic(node, namespace)
    if isinstance(node, ast.Name):
        if node.id not in namespace or _refusal(node):
            raise _Unsafe(node.id)
        return namespace[node.id]
    if isinstance(node, ast.Attribute):
        if _refusal(node):
            raise _Unsafe(node.attr)
        owner = constant(node.value, namespace)
        if not _from_allowed_module(owner):
            raise _Unsafe(node.attr)
        return getattr(owner, node.attr)
    if isinstance(node, ast.Call):
        function = constant(node.func, namespace)
        if not (_callable_at_load(function) or any(function is getattr(builtins, name) for name in SAFE_CALLS)):
            raise _Unsafe("call")
        args = [constant(arg, namespace) for arg in node.args]
        kwargs = {keyword.arg: constant(keyword.value, namespace) for keyword in node.keywords if keyword.arg}
        if len(kwargs) != len(node.keywords) or any(_refusal(keyword) for keyword in node.keywords):
            raise _Unsafe("keywords")
        if any(_own_function(value) for value in (*args, *kwargs.values())):
            raise _Unsafe("a call that would run the notebook's own function")
        return function(*args, **kwargs)
    raise _Unsafe(type(node).__name__)


def _number(value: Any) -> Any:
    if type(value) not in (int, float, complex, bool):
        raise _Unsafe("arithmetic on a value that is not a number")
    return value


def _arithmetic(node: ast.BinOp, namespace: dict[str, Any]) -> Any:
    left, right = _number(constant(node.left, namespace)), _number(constant(node.right, namespace))
    operations = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
        ast.FloorDiv: lambda a, b: a // b,
        ast.Mod: lambda a, b: a % b,
        ast.Pow: lambda a, b: a**b,
    }
    if type(node.op) not in operations:
        raise _Unsafe(type(node.op).__name__)
    if isinstance(node.op, ast.Pow) and (abs(right) > MAX_POWER or abs(left) > 2**64):
        raise _Unsafe("a power too large")
    if (
        isinstance(node.op, ast.Mult)
        and isinstance(left, int)
        and isinstance(right, int)
        and max(abs(left), abs(right)) > 2**64
    ):
        raise _Unsafe("a product too large")
    try:
        return operations[type(node.op)](left, right)
    except (ArithmeticError, ValueError) as error:
        raise _Unsafe(str(error)) from None


def _callable_at_load(function: Any) -> bool:
    """What a constant may call: a class of an allowed module (np.float32, functools.partial), or NumPy's and
    math's functions; not mnistnn's or JAX's functions (training, loading data), nor the notebook's own."""
    if isinstance(function, type):
        return _from_allowed_module(function)
    module = getattr(function, "__module__", None) or ""
    return module.split(".")[0] in ("numpy", "math") and _from_allowed_module(function)


def _own_function(value: Any) -> bool:
    return isinstance(value, types.FunctionType) and value.__module__ == "__main__"


def _from_allowed_module(value: Any) -> bool:
    """A module grading offers, or something defined in one (np.tanh, np.float32, jax.numpy.exp)."""
    if isinstance(value, types.ModuleType):
        return module_allowed(value.__name__)
    module = getattr(value, "__module__", None) or getattr(type(value), "__module__", None)
    if not isinstance(module, str):
        return False
    return module_allowed(module) or module.split(".")[0] in ("numpy", "jax", "jaxlib")


# --------------------------------------------------------------------------------------------- loading


class _Loader:
    """Loads cells into a namespace by the rules, collecting a note for whatever was left out or refused."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def cell(self, source: str, label: str) -> None:
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError as error:
            self.note(f"{label}: SyntaxError: {error.msg} (line {error.lineno}); the cell was left out")
            return
        self.statements(tree.body, label)

    def statements(self, body: list[ast.stmt], label: str) -> None:
        for node in body:
            try:
                self.statement(node, label)
            except (Exception, SystemExit) as error:  # noqa: BLE001  one statement that fails: go on, say which
                self.note(f"{label}: {error_text(type(error).__name__, str(error))}")

    def statement(self, node: ast.stmt, label: str) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports(node, label)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(node, label)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            self.assignment(node, label)
        elif isinstance(node, ast.Try):
            for part in (node.body, *(handler.body for handler in node.handlers), node.orelse, node.finalbody):
                self.statements(part, label)
        elif isinstance(node, ast.ClassDef):
            self.note(f"{label}: class {node.name} is not loaded when grading (write functions)")
        elif isinstance(node, (ast.If, ast.For, ast.While, ast.With)):
            defined = [inner.name for inner in ast.walk(node) if isinstance(inner, ast.FunctionDef)]
            if defined:
                self.note(f"{label}: {', '.join(defined)} defined inside an if, for or with: not loaded when grading")

    def imports(self, node: ast.Import | ast.ImportFrom, label: str) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else bound
                self.namespace[bound] = self.module(target, label)
            return
        source = "." * node.level + (node.module or "")
        module = self.module(source, label) if not node.level else self.module(source, label, relative=True)
        for alias in node.names:
            if alias.name == "*":
                if isinstance(module, types.ModuleType):
                    public = getattr(module, "__all__", [name for name in vars(module) if not name.startswith("_")])
                    self.namespace.update({name: getattr(module, name) for name in public if hasattr(module, name)})
                continue
            self.namespace[alias.asname or alias.name] = self.member(module, source, alias.name, label)

    def module(self, name: str, label: str, *, relative: bool = False) -> Any:
        if relative or not module_allowed(name):
            if not name.startswith(EXPECTED_IMPORTS):
                self.note(f"{label}: imports {name}, which grading does not load (it does nothing when graded)")
            return Unavailable(name)
        try:
            return importlib.import_module(name)
        except ImportError as error:
            self.note(f"{label}: imports {name}, which is not installed here ({error})")
            return Unavailable(name)

    def member(self, module: Any, source: str, name: str, label: str) -> Any:
        if isinstance(module, Unavailable):
            return Unavailable(f"{source}.{name}")
        if name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
            self.note(f"{label}: imports {name} from {source}, which grading does not load")
            return Unavailable(f"{source}.{name}")
        if not hasattr(module, name) and module_allowed(f"{source}.{name}"):
            return self.module(f"{source}.{name}", label)
        value = getattr(module, name)
        if isinstance(value, types.ModuleType) and not module_allowed(value.__name__):
            self.note(f"{label}: imports {value.__name__}, which grading does not load (it does nothing when graded)")
            return Unavailable(f"{source}.{name}")
        return value

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, label: str) -> None:
        reasons = refusals(node)
        try:
            for expression in (*node.decorator_list, *node.args.defaults, *filter(None, node.args.kw_defaults)):
                constant(expression, self.namespace)
        except _Unsafe:
            reasons.append("has a decorator or default value that is not a constant")
        if reasons:
            self.refuse(node.name, reasons, label)
            return
        module = ast.Module(body=[node], type_ignores=[])
        exec(compile(module, f"<{label}>", "exec", flags=FLAGS, dont_inherit=True), self.namespace)  # noqa: S102

    def refuse(self, name: str, reasons: list[str], label: str) -> None:
        why = (
            f"your {name} {' and '.join(reasons)}: grading does not run code that reaches into Python's machinery, "
            "the grader, or modules other than NumPy, math and mnistnn's public functions"
        )
        self.note(f"{label}: {why}")

        def refused(*args: Any, **kwargs: Any) -> None:
            raise Refused(why)

        refused.__name__ = refused.__qualname__ = name
        self.namespace[name] = refused

    def assignment(self, node: ast.Assign | ast.AnnAssign, label: str) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None or not all(isinstance(target, ast.Name) for target in targets):
            return
        if isinstance(node.value, ast.Lambda):
            reasons = refusals(node.value)
            if reasons:
                for target in targets:
                    self.refuse(target.id, reasons, label)
                return
            code = compile(ast.Expression(body=node.value), f"<{label}>", "eval", flags=FLAGS, dont_inherit=True)
            value = eval(code, self.namespace)  # a lambda whose body passed the rules
        else:
            try:
                value = constant(node.value, self.namespace)
            except _Unsafe:
                return  # computed by running the notebook (data, a trained network): not kept
        for target in targets:
            self.namespace[target.id] = value


def rebuild(cells: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """A fresh namespace holding what grading keeps of these cells (in order), and a note for what was left out."""
    loader = _Loader()
    for index, source in enumerate(cells):
        loader.cell(source, f"cell {index + 1}")
    return loader.namespace, loader.notes


def as_graded(live: dict[str, Any]) -> dict[str, Any]:
    """The notebook's namespace as grading will see it (the self-check's view).

    In IPython, rebuilt by :func:`rebuild` from the cells run so far (``In``, in the order they ran: a cell run
    again counts with its latest text). Elsewhere (a script, or cells run without history, as nbval runs them),
    rebuilt from the live namespace: its modules, constants and functions, each function defined again from its
    source by the same rules.
    """
    history = live.get("In")
    if isinstance(history, list) and len(history) > 1 and all(isinstance(cell, str) for cell in history):
        return rebuild(history)[0]
    loader = _Loader()
    for name, value in live.items():
        if name.startswith("_"):
            continue
        if isinstance(value, types.ModuleType):
            loader.namespace[name] = loader.module(value.__name__, name)
        elif getattr(value, "__module__", None) == "__main__" and isinstance(value, types.FunctionType):
            try:
                source = textwrap.dedent(inspect.getsource(value))
            except (OSError, TypeError):
                continue
            loader.cell(source, f"function {name}")
        elif _is_literal(value) or _from_allowed_module(value):
            loader.namespace[name] = value
    return loader.namespace


def _is_literal(value: Any, depth: int = 0) -> bool:
    """A number, string, bool or None, or a small tuple, list or dict of those."""
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return True
    if depth < 3 and type(value) in (tuple, list, set, frozenset) and len(value) <= 1000:
        return all(_is_literal(item, depth + 1) for item in value)
    if depth < 3 and type(value) is dict and len(value) <= 1000:
        return all(_is_literal(key, depth + 1) and _is_literal(item, depth + 1) for key, item in value.items())
    return False
