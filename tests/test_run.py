"""run.py, the README's commands: the headless run reports every notebook and fails when one fails."""

import importlib.util
from pathlib import Path

import nbformat

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
