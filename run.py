#!/usr/bin/env python3
"""Set up and run the mnistnn series with nothing but Python 3.11+.

    python3 run.py lab               set up, then open JupyterLab on the start page (every notebook and lab)
    python3 run.py lab FILE          ... open JupyterLab on that notebook, e.g. exercises/03_backpropagation.ipynb
    python3 run.py lab --no-browser  ... start the server only: the address it prints opens the start page (or FILE)
    python3 run.py lab --headless    set up, then execute every notebook and print a summary
    python3 run.py test              set up with the test tools, then run the tests (nbval over every notebook too)
    python3 run.py test --fast       the unit tests only, under a minute: what to run after every change
    python3 run.py book              set up, then build the series as a static website in build/book/
    python3 run.py links OWNER/REPO  print the Binder badge and link for the repository at that address
    python3 run.py lock              re-resolve requirements-lock.txt from the pins in pyproject.toml

"Set up" creates a virtual environment in .venv/ (or reuses it) and installs, from requirements-lock.txt
(every package, exact versions and hashes), only what the command needs: `lab` the notebooks' packages,
`book` the website builder, `test` everything. It installs again only when the lock has changed or when
a command needs more than was installed.
Arguments after `test` go to pytest (e.g. `python3 run.py test -x tests/test_model.py`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import venv
from pathlib import Path

if sys.version_info < (3, 11):  # noqa: UP036 (this is what tells an older Python that it is too old)
    sys.exit(f"mnistnn needs Python 3.11 or newer; this is {sys.version.split()[0]}")
import tomllib  # only after the check above: Python 3.11+

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "mnistnn-installed.json"
NOTEBOOKS = ROOT / "notebooks"
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements-lock.txt"
BOOK = ROOT / "book"  # the website's configuration and front page
BOOK_SOURCE = ROOT / "build" / "book-src"  # what Sphinx reads: book/ plus the notebooks, copied
SITE = ROOT / "build" / "book"  # the website (git-ignored)
START = "start.ipynb"  # the start page: the walk-throughs and their labs, in order (Binder opens it too)
# `test --fast`: the unit tiers only (pytest markers set in tests/conftest.py), under a minute.
FAST_TIER = "not (slow or notebooks or browser or book or binder or grading)"
# What each command installs: pyproject.toml's dependencies plus these extras (None: every extra).
PROFILES: dict[str, tuple[str, ...] | None] = {"lab": ("notebooks",), "book": ("book",), "test": None}


# --- the lock -------------------------------------------------------------------------------------


def normalize(name: str) -> str:
    """A package name as the lock writes it (PEP 503): lower case, runs of -_. as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins(extras: tuple[str, ...] | None = None) -> dict[str, str]:
    """{name: version} of pyproject.toml's dependencies and of these extras (None: all of them)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    requirements = list(project["dependencies"])
    for extra in optional if extras is None else extras:
        requirements += optional[extra]
    pins = {}
    for requirement in requirements:
        name, sep, version = requirement.partition("==")
        if not sep:
            sys.exit(f"pyproject.toml: {requirement!r} is not pinned; write it as NAME==VERSION")
        pins[normalize(name.split("[")[0].strip())] = version.split(";")[0].strip()
    return pins


def read_lock(path: Path = LOCK) -> dict[str, dict]:
    """The lock's packages: {name: {"versions", "lines" (requirements and hashes), "via" (dependents)}}.

    A universal lock can hold a package twice, at two versions for two sets of platforms (each line
    with its environment marker): both are kept, and pip installs the one whose marker matches.
    """
    if not path.exists():
        sys.exit(f"{path.name} is missing: run `python3 run.py lock` to write it from pyproject.toml")
    packages: dict[str, dict] = {}
    current = None
    in_via_list = False
    for line in path.read_text().splitlines():
        requirement = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if requirement:
            current = packages.setdefault(
                normalize(requirement.group(1)), {"versions": set(), "lines": [], "via": set()}
            )
            current["versions"].add(requirement.group(2))
            current["lines"].append(line)
            in_via_list = False
        elif current is not None and line.startswith("    --hash="):
            current["lines"].append(line)
        elif current is not None and line.strip().startswith("# via"):
            dependent = line.strip()[len("# via") :].strip()
            in_via_list = not dependent
            if dependent:
                current["via"].add(dependent)
        elif current is not None and in_via_list and line.strip().startswith("#   "):
            current["via"].add(line.strip()[1:].strip())
    for package in packages.values():  # "mnistnn (pyproject.toml)" and "numpy" alike, as bare names
        package["via"] = {normalize(via.split()[0]) for via in package["via"]}
    return packages


def lock_problems(lock: dict[str, dict], pins: dict[str, str]) -> list[str]:
    """Each pin of pyproject.toml that the lock does not hold at exactly that version."""
    problems = []
    for name, version in sorted(pins.items()):
        if name not in lock:
            problems.append(f"{name}=={version} is not in {LOCK.name}")
        elif lock[name]["versions"] != {version}:
            locked = ", ".join(sorted(lock[name]["versions"]))
            problems.append(f"{name}=={version} in pyproject.toml but {locked} in {LOCK.name}")
    return problems


def locked_requirements(extras: tuple[str, ...] | None, lock: dict[str, dict] | None = None) -> list[str]:
    """Names of the locked packages these extras need: their pins and everything those depend on."""
    lock = read_lock() if lock is None else lock
    dependencies: dict[str, set[str]] = {}
    for name, package in lock.items():
        for dependent in package["via"]:
            dependencies.setdefault(dependent, set()).add(name)
    wanted = [name for name in pyproject_pins(extras) if name in lock]
    needed: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in needed:
            needed.add(name)
            wanted.extend(dependencies.get(name, ()))
    return sorted(needed)


def check_lock() -> dict[str, dict]:
    """The lock, after checking that it holds every pin of pyproject.toml (exit with the fix if not)."""
    lock = read_lock()
    problems = lock_problems(lock, pyproject_pins())
    if problems:
        sys.exit(
            f"{LOCK.name} is out of date with pyproject.toml:\n  "
            + "\n  ".join(problems)
            + "\nRun `python3 run.py lock` to resolve it again."
        )
    return lock


def install(python: Path | str, extras: tuple[str, ...] | None, requirements_file: Path) -> None:
    """Install the locked packages these extras need (hash-checked), then mnistnn itself without deps."""
    lock = check_lock()
    names = locked_requirements(extras, lock)
    header = f"# {len(names)} packages of {LOCK.name} for extras {extras or 'all'} (written by run.py)\n"
    requirements_file.write_text(header + "".join("\n".join(lock[name]["lines"]) + "\n" for name in names))
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--require-hashes", "-r", str(requirements_file)], check=True, cwd=ROOT)
    subprocess.run([*pip, "--no-deps", "--editable", str(ROOT)], check=True, cwd=ROOT)


# --- the virtual environment ----------------------------------------------------------------------


def venv_python() -> Path:
    """The virtual environment's interpreter."""
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def create_venv() -> Path:
    """Create .venv if it is not there; return its Python."""
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except (OSError, subprocess.CalledProcessError) as error:
            sys.exit(f"could not create {VENV} ({error}). On Debian/Ubuntu: sudo apt install python3-venv")
    return python


def setup(profile: str) -> Path:
    """Create or reuse .venv and install what `profile` needs from the lock; return its Python."""
    python = create_venv()
    extras = PROFILES[profile]
    wanted_extras = set(
        tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"] if extras is None else extras
    )
    lock_hash = hashlib.sha256(LOCK.read_bytes() + sys.version.encode()).hexdigest() if LOCK.exists() else ""
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        stamp = {}
    installed = set(stamp.get("extras", ())) if stamp.get("lock") == lock_hash else set()
    if installed and wanted_extras <= installed:
        check_lock()
        return python
    print(f"Installing mnistnn and the locked packages for `{profile}` (first time: a few minutes) ...", flush=True)
    install(python, extras, VENV / f"mnistnn-requirements-{profile}.txt")
    STAMP.write_text(json.dumps({"lock": lock_hash, "extras": sorted(installed | wanted_extras)}) + "\n")
    return python


def write_lock(upgrade: bool) -> int:
    """Resolve pyproject.toml's pins for every platform into requirements-lock.txt, with uv."""
    python = create_venv()
    groups = tomllib.loads(PYPROJECT.read_text()).get("dependency-groups", {})
    subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *groups["lock"]],
        check=True,
        cwd=ROOT,
    )
    command = [
        python,
        "-m",
        "uv",
        "pip",
        "compile",
        "pyproject.toml",
        "--all-extras",
        "--universal",
        "--python-version",
        "3.11",
        "--generate-hashes",
        "--custom-compile-command",
        "python3 run.py lock",
        "--output-file",
        LOCK.name,
        *(["--upgrade"] if upgrade else []),
    ]
    code = subprocess.call(command, cwd=ROOT)
    if code == 0:
        lock = read_lock()
        print(
            f"{LOCK.name}: {len(lock)} packages; `python3 run.py lab` installs "
            f"{len(locked_requirements(PROFILES['lab'], lock))} of them"
        )
    return code


# --- the commands ---------------------------------------------------------------------------------


def notebooks() -> list[Path]:
    """The numbered notebooks of the series, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def execute_all() -> int:
    """Run every notebook top to bottom in a fresh kernel (outputs not saved); print a summary."""
    import nbclient
    import nbformat

    failures = 0
    total = time.perf_counter()
    print(f"{'notebook':<40} {'seconds':>8}  result")
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        try:
            client = nbclient.NotebookClient(
                nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            )
            # The kernel process's own log (not the cells' output) only holds start-up chatter here.
            client.execute(stderr=subprocess.DEVNULL)
            result = "ok"
        except Exception as error:  # noqa: BLE001  report every notebook, then fail at the end
            failures += 1
            result = f"FAILED: {type(error).__name__}: {str(error).strip().splitlines()[-1][:200]}"
        print(f"{path.name:<40} {time.perf_counter() - start:8.1f}  {result}", flush=True)
    count = len(notebooks())
    print(f"{count - failures} of {count} notebooks ran without error in {time.perf_counter() - total:.0f} s")
    return 1 if failures or not count else 0


def valid_ref(ref: str) -> bool:
    """Whether git would accept ref as a branch, tag or commit name (the rules of git check-ref-format)."""
    return (
        bool(re.fullmatch(r"[A-Za-z0-9._/+-]+", ref))
        and ".." not in ref
        and "//" not in ref
        and not ref.startswith(("/", ".", "-"))
        and not ref.endswith(("/", ".", ".lock"))
        and all(part and not part.startswith(".") for part in ref.split("/"))
    )


def binder_links(repository: str, ref: str = "HEAD") -> tuple[str, str]:
    """The Binder link that opens JupyterLab on the start page of OWNER/REPO, and its badge in Markdown."""
    owner, _, name = repository.partition("/")
    if not (
        re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}", owner)
        and re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name)
        and name not in (".", "..")
    ):
        raise ValueError(
            f"expected a GitHub repository as OWNER/REPO (e.g. jdoe/mnistnn): an owner of letters, "
            f"digits and single dashes, a name of letters, digits, '.', '-' or '_' (not . or ..); "
            f"got {repository!r}"
        )
    if not valid_ref(ref):
        raise ValueError(
            f"expected a branch, tag or commit such as main, v1.0 or HEAD (no '..', no leading or "
            f"trailing '/' or '.'), got {ref!r}"
        )
    link = f"https://mybinder.org/v2/gh/{repository}/{urllib.parse.quote(ref, safe='')}?urlpath=lab/tree/{START}"
    return link, f"[![Launch the series on Binder](https://mybinder.org/badge_logo.svg)]({link})"


def book_sources() -> list[Path]:
    """The files the website is built from: the front page and configuration, every walk-through,
    the teacher guide and the labs' student notebooks (exercises/*.ipynb, when there are any)."""
    files = [path for path in BOOK.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    files += [
        *notebooks(),
        NOTEBOOKS / "README.md",
        ROOT / "docs" / "predictions.png",
        *sorted((ROOT / "exercises").glob("*.ipynb")),
    ]
    return files


def build_book(python: Path) -> int:
    """Copy the sources into build/book-src (keeping their times, so Sphinx rebuilds only what
    changed), then build the website into build/book with Sphinx: stored outputs only, no network."""
    start = time.perf_counter()
    wanted = {}
    for path in book_sources():
        relative = path.relative_to(BOOK if path.is_relative_to(BOOK) else ROOT)
        wanted[BOOK_SOURCE / relative] = path
    for old in [p for p in BOOK_SOURCE.rglob("*") if p.is_file()] if BOOK_SOURCE.exists() else []:
        if old not in wanted:
            old.unlink()
    for target, source in wanted.items():
        if not target.exists() or target.stat().st_mtime_ns != source.stat().st_mtime_ns:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    code = subprocess.call(
        [
            python,
            "-m",
            "sphinx",
            "--builder",
            "html",
            "--quiet",
            "--fail-on-warning",
            "--keep-going",
            "--doctree-dir",
            str(BOOK_SOURCE.parent / "book-doctrees"),
            str(BOOK_SOURCE),
            str(SITE),
        ],
        cwd=ROOT,
    )
    if code == 0:
        size = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
        print(
            f"Built {SITE.relative_to(ROOT)}/index.html in {time.perf_counter() - start:.0f} s "
            f"({size / 1e6:.1f} MB); open it in a browser, or copy the folder anywhere: it needs no network."
        )
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{lab,test,book,links,lock}")
    lab = commands.add_parser("lab", help="set up, then open JupyterLab on the start page (or on FILE)")
    lab.add_argument("file", nargs="?", help="a notebook to open, e.g. exercises/03_backpropagation.ipynb")
    lab.add_argument(
        "--headless", action="store_true", help="no browser: execute every notebook and print a summary instead"
    )
    lab.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")
    commands.add_parser(
        "test", help="set up with the test tools, then run the tests and nbval over every notebook", add_help=False
    )
    commands.add_parser("book", help="set up, then build the series as a static website in build/book/")
    links = commands.add_parser("links", help="print the Binder badge and link for a repository address")
    links.add_argument("repository", metavar="OWNER/REPO", help="where the repository is public on GitHub")
    links.add_argument("--ref", default="HEAD", help="branch, tag or commit to launch (default: HEAD)")
    lock = commands.add_parser("lock", help="resolve pyproject.toml's pins again into requirements-lock.txt")
    lock.add_argument(
        "--upgrade",
        action="store_true",
        help="also move the packages that pyproject.toml does not pin to their newest versions",
    )
    commands.add_parser("_execute")  # internal: runs inside .venv for `lab --headless`
    install_here = commands.add_parser("_install")  # internal: Binder's postBuild, into the running Python
    install_here.add_argument("profile", choices=sorted(PROFILES))
    args, rest = parser.parse_known_args()
    if rest and args.command != "test":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.command == "links":
        try:
            link, badge = binder_links(args.repository, args.ref)
        except ValueError as error:
            parser.error(str(error))
        print(
            f"Binder badge (Markdown, for the README):\n{badge}\n\n"
            f"Link (opens JupyterLab on {START}, the start page):\n{link}"
        )
        return 0
    return run_command(args, rest)


def run_command(args: argparse.Namespace, rest: list[str]) -> int:
    """The commands that need no parser any more: the internal ones, lock, and those that set up .venv first."""
    if args.command == "_execute":
        return execute_all()
    if args.command == "lock":
        return write_lock(args.upgrade)
    if args.command == "_install":
        install(sys.executable, PROFILES[args.profile], Path(tempfile.gettempdir()) / "mnistnn-requirements.txt")
        return 0
    python = setup(args.command)
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    if args.command == "book":
        return build_book(python)
    if args.command == "test":
        return run_tests(python, rest, env)
    if args.headless:
        return subprocess.call([python, __file__, "_execute"], cwd=ROOT, env=env)
    return open_lab(python, args.file or START, env, browser=not args.no_browser)


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM (the session ending, a process manager): stop the way Ctrl-C does."""
    raise KeyboardInterrupt


def open_lab(python: Path, file: str, env: dict[str, str], *, browser: bool = True) -> int:
    """JupyterLab with the repository as its root, on ``file``; stopped (kernels too) when run.py is.

    The server runs in a session of its own, so that Ctrl-C reaches run.py only: run.py then asks it to shut down
    (SIGTERM: it stops its kernels and exits) instead of leaving it, or its kernels, running.
    """
    path, example = (Path.cwd() / file).resolve(), "e.g. python3 run.py lab exercises/03_backpropagation.ipynb"
    if path.is_dir():
        sys.exit(f"{file} is a folder: name a notebook in it, {example}")
    if not path.is_file():
        sys.exit(f"no file {file}; {example}")
    if not path.is_relative_to(ROOT):
        sys.exit(f"{file} is outside the repository ({ROOT}): copy it into it, then open it from there")
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # e.g. in a container
    command = [
        python,
        "-m",
        "jupyterlab",
        *as_root,
        f"--ServerApp.root_dir={ROOT}",
        # The page the browser opens, and the address the server prints (copied from the terminal when no browser
        # opens by itself): the file, not an empty JupyterLab.
        f"--LabApp.default_url=/lab/tree/{urllib.parse.quote(path.relative_to(ROOT).as_posix())}",
        *([] if browser else ["--no-browser"]),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        return server.wait()
    except KeyboardInterrupt:
        print("\nStopping JupyterLab and its kernels ...", file=sys.stderr, flush=True)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_tests(python: Path, rest: list[str], env: dict[str, str]) -> int:
    """pytest with these arguments (--fast: the unit tiers only); exit code 5, no tests, is a failure."""
    if "--fast" in rest:
        index = rest.index("--fast")
        # Spread over the usable CPUs (pytest-xdist), at most 4, the unit tests being independent; one BLAS thread
        # per worker, as otherwise each would start a thread per CPU and they would wait on each other.
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        rest = [*rest[:index], "-m", FAST_TIER, "-n", str(min(4, cpus)), *rest[index + 1 :]]
        env = {"OPENBLAS_NUM_THREADS": "1", **env}
    code = subprocess.call([python, "-m", "pytest", *rest], cwd=ROOT, env=env)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
