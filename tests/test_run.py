"""run.py, the README's commands: the headless run reports every notebook and fails when one fails;
the Binder links open notebook 01; the website takes every notebook."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run", ROOT / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)


def write_notebook(path, code):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)


def test_the_series_is_found_in_order():
    names = [path.name for path in run.notebooks()]
    assert names == sorted(names) and names[0].startswith("01_")


def test_headless_run_reports_each_notebook_and_fails_if_one_fails(tmp_path, monkeypatch, capsys):
    write_notebook(tmp_path / "01_fine.ipynb", "print('fine')")
    write_notebook(tmp_path / "02_broken.ipynb", "1 / 0")
    monkeypatch.setattr(run, "NOTEBOOKS", tmp_path)
    assert run.execute_all() == 1
    out = capsys.readouterr().out
    assert "01_fine.ipynb" in out and " ok" in out
    assert "02_broken.ipynb" in out and "FAILED: CellExecutionError" in out
    assert "1 of 2 notebooks ran without error" in out


def test_headless_run_with_no_notebooks_is_a_failure(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run, "NOTEBOOKS", tmp_path)
    assert run.execute_all() == 1
    assert "0 of 0 notebooks" in capsys.readouterr().out


def test_binder_link_opens_jupyterlab_on_the_start_page():
    link, badge = run.binder_links("jdoe/mnistnn")
    assert link.startswith("https://mybinder.org/v2/gh/jdoe/mnistnn/HEAD?urlpath=lab/tree/")
    path = link.split("?urlpath=lab/tree/", 1)[1]
    assert (ROOT / path).is_file() and path == "start.ipynb"
    assert badge == f"[![Launch the series on Binder](https://mybinder.org/badge_logo.svg)]({link})"
    assert run.binder_links("jdoe/mnistnn", "v1.0")[0].startswith("https://mybinder.org/v2/gh/jdoe/mnistnn/v1.0?")


@pytest.mark.parametrize(
    "repository",
    [
        "mnistnn",
        "https://github.com/jdoe/mnistnn",
        "jdoe/mnistnn/extra",
        "",
        "jdoe/..",
        "jdoe/.",
        "-jdoe/mnistnn",
        "jdoe-/mnistnn",
        "jd--oe/mnistnn",
        "jdoe/",
        "/mnistnn",
    ],
)
def test_binder_link_refuses_what_is_not_owner_slash_repo(repository):
    with pytest.raises(ValueError, match="OWNER/REPO"):
        run.binder_links(repository)


@pytest.mark.parametrize(
    "ref", ["..", "v1..v2", "/main", "main/", ".hidden", "feature/.x", "x.lock", "a//b", "", "-x", "main branch"]
)
def test_binder_link_refuses_what_git_would_not_take_as_a_ref(ref):
    with pytest.raises(ValueError, match="branch, tag or commit"):
        run.binder_links("jdoe/mnistnn", ref)


@pytest.mark.parametrize("ref", ["main", "v1.0", "HEAD", "feature/new-lab", "0123abc", "release-2026.11"])
def test_binder_link_takes_usual_refs(ref):
    assert f"/jdoe/mnistnn/{ref.replace('/', '%2F')}?" in run.binder_links("jdoe/mnistnn", ref)[0]


def test_links_command_prints_the_badge_without_setting_anything_up():
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "links", "jdoe/mnistnn"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert run.binder_links("jdoe/mnistnn")[1] in result.stdout
    bad = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "links", "mnistnn"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 2 and "expected a GitHub repository as OWNER/REPO" in bad.stderr


def test_book_takes_every_notebook_the_teacher_guide_and_the_labs_student_notebooks(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "exercises" / "solutions").mkdir(parents=True)
    (tmp_path / "book").mkdir()
    for name in (
        "notebooks/01_a.ipynb",
        "notebooks/02_b.ipynb",
        "notebooks/README.md",
        "notebooks/scratch.ipynb",
        "exercises/lab1.ipynb",
        "exercises/solutions/lab1.ipynb",
        "book/conf.py",
        "book/index.md",
    ):
        (tmp_path / name).write_text("{}")
    monkeypatch.setattr(run, "ROOT", tmp_path)
    monkeypatch.setattr(run, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(run, "BOOK", tmp_path / "book")
    names = {path.relative_to(tmp_path).as_posix() for path in run.book_sources()}
    assert names == {
        "notebooks/01_a.ipynb",
        "notebooks/02_b.ipynb",
        "notebooks/README.md",
        "exercises/lab1.ipynb",
        "book/conf.py",
        "book/index.md",
        "docs/predictions.png",
    }


def test_lab_opens_the_start_page_at_the_root_and_ctrl_c_stops_the_server_and_its_kernels():
    """What a learner does: python3 run.py lab, work, then Ctrl-C. Nothing is left running. Without a browser, the
    address the server prints is the start page's."""
    import json
    import queue
    import signal
    import threading
    import time
    import urllib.error
    import urllib.request

    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "lab", "--no-browser"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed = queue.Queue()  # its lines, read by a thread: a server that prints nothing more fails at the deadline
    reader = threading.Thread(target=lambda: [printed.put(line) for line in process.stdout], daemon=True)
    reader.start()
    try:
        url, lines, deadline = None, [], time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            try:
                line = printed.get(timeout=1)
            except queue.Empty:
                continue
            lines.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)/lab/tree/start\.ipynb\?token=(\w+)", line)
            if found:
                url = found.groups()
        assert url, "".join(lines)
        base, token = url
        headers = {"Authorization": f"token {token}"}
        for _ in range(100):  # the URL is printed a moment before the server answers
            try:
                with urllib.request.urlopen(urllib.request.Request(f"{base}/api/contents/", headers=headers)) as answer:
                    contents = json.load(answer)
                break
            except urllib.error.URLError:
                time.sleep(0.2)
        assert {"start.ipynb", "notebooks", "exercises"} <= {item["name"] for item in contents["content"]}  # the root
        request = urllib.request.Request(f"{base}/api/kernels", data=b"{}", headers=headers, method="POST")
        with urllib.request.urlopen(request) as response:
            kernel = json.load(response)["id"]
        deadline = time.monotonic() + 30
        while not _processes(kernel) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes(kernel)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)  # it ends at the end of the output
        process.stdout.close()
    time.sleep(1)
    assert not _processes(kernel) and not _processes(f"jupyterlab --allow-root --ServerApp.root_dir={ROOT}")


def _processes(text):
    """The running processes whose command line holds this text."""
    table = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in table.splitlines() if text in line and "ps -ww" not in line]


def test_lab_refuses_a_file_that_is_not_there_a_folder_or_outside_the_repository(tmp_path):
    def lab(file):
        command = [sys.executable, str(ROOT / "run.py"), "lab", str(file)]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)

    missing = lab("exercises/nothing.ipynb")
    assert missing.returncode != 0 and "no file exercises/nothing.ipynb" in missing.stderr
    folder = lab("exercises")
    assert folder.returncode != 0 and "exercises is a folder: name a notebook in it" in folder.stderr
    outside = tmp_path / "copy.ipynb"
    outside.write_text("{}")
    result = lab(outside)
    assert result.returncode != 0 and "is outside the repository" in result.stderr


def test_the_start_page_links_every_walk_through_and_every_lab():
    import nbformat

    text = nbformat.read(ROOT / "start.ipynb", as_version=4).cells[0].source
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", text)
    expected = [path.relative_to(ROOT).as_posix() for path in run.notebooks()]
    labs = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "exercises").glob("[0-9][0-9]*_*.ipynb"))
    assert [link for link in links if link.startswith("notebooks/")] == expected
    assert sorted(link for link in links if link.startswith("exercises/")) == labs
    assert all((ROOT / link).exists() for link in links)


def test_the_start_page_gives_each_lab_the_time_the_lab_states():
    text = nbformat.read(ROOT / "start.ipynb", as_version=4).cells[0].source
    rows = [row for row in text.splitlines() if "(exercises/" in row]
    assert rows
    for row in rows:
        labs = re.findall(r"\]\((exercises/[^)]+\.ipynb)\)", row)
        minutes = [int(part) for part in row.rstrip(" |").rsplit("|", 1)[1].split("+")]
        stated = []
        for lab in labs:
            source = "\n".join(cell.source for cell in nbformat.read(ROOT / lab, as_version=4).cells)
            stated.append(int(re.search(r"\*\*Time\*\*: about (\d+) minutes", source).group(1)))
        assert minutes == stated, (row, stated)
