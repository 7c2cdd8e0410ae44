"""The drawing widget in a real browser: JupyterLab in headless Chromium, a "1" and a "7" drawn by pointer.

JupyterLab is started on a free local port in a temporary folder holding one notebook that shows the
widget with notebook 06's network; Playwright drives Debian's Chromium (tests/browser.py); the strokes
are real pointer events; the page must then name the digit. Screenshots go to test-artifacts/.
Skipped, with the reason, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import artifact_path, chromium_or_skip, free_port, launch_browser
from trained_network import trained_network

import mnistnn

pytest.importorskip("anywidget", reason="the widget needs anywidget (the notebooks extra)")
PlaywrightTimeout = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is missing: install the test extra"
).TimeoutError

START_TIMEOUT = 90  # seconds for JupyterLab to answer
UI_TIMEOUT_MS = 120_000  # for the page, the kernel and the widget to appear
RUN_TIMEOUT_MS = 45_000  # for the widget to appear once its cell runs
ANSWER_TIMEOUT_MS = 30_000

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "draw",
            "metadata": {},
            "outputs": [],
            "source": [
                "import mnistnn\n",
                "from mnistnn.widget import DrawDigit\n",
                "DrawDigit(mnistnn.load_params('params.npz'))",
            ],
        }
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll JupyterLab's status endpoint until it answers; fail with its log if it dies or times out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server serving widget.ipynb from a temporary folder; yields (base URL, token).

    It is always shut down, kernels included, also when the test fails."""
    chromium_or_skip()  # skip before starting anything if there is no browser
    root = tmp_path / "notebooks"
    root.mkdir()
    params, _ = trained_network()
    mnistnn.save_params(root / "params.npz", params)
    (root / "widget.ipynb").write_text(json.dumps(NOTEBOOK))
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path / "jupyter"
    # No "get Jupyter news?" question: nothing is fetched, and the screenshot stays clear.
    news = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONWARNINGS": "ignore",
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )  # its own process group: kernels end with it
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(f"{base}/api/status?token={token}", process, log)
        yield base, token
    finally:
        _shut_down(process)


def _shut_down(process: subprocess.Popen) -> None:
    """Stop JupyterLab and its kernels: SIGTERM to its process group, then SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group (kernels)
    process.wait(timeout=10)


def _stroke(page, canvas, points: list[tuple[float, float]]) -> None:
    """One pen-down-to-pen-up stroke through points given as fractions of the canvas (0..1)."""
    box = canvas.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def _touch_stroke(page, canvas, points: list[tuple[float, float]]) -> None:
    """The same with a finger: touch events through the DevTools protocol (pointerType "touch")."""
    box = canvas.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": xy[0][0], "y": xy[0][1]}]})
    for (x0, y0), (x1, y1) in itertools.pairwise(xy):
        for k in range(1, 13):
            x, y = x0 + (x1 - x0) * k / 12, y0 + (y1 - y0) * k / 12
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_draw_a_one_then_a_seven(jupyterlab):
    base, token = jupyterlab
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, has_touch=True)
        page.set_default_timeout(UI_TIMEOUT_MS)
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        try:
            _draw_and_check(page, f"{base}/lab/tree/widget.ipynb?token={token}")
        except Exception:
            page.screenshot(path=artifact_path("widget_failure.png"))
            print("browser console (last 40 lines):\n" + "\n".join(console[-40:]))
            raise


def _answer_is(page, condition: str) -> None:
    """Wait until the widget's answer element satisfies a JavaScript condition on `answer`."""
    page.wait_for_function(
        f"() => {{ const answer = document.querySelector('.mnistnn-draw-answer'); "
        f"return answer !== null && ({condition}); }}",
        timeout=ANSWER_TIMEOUT_MS,
    )


def _draw_and_check(page, url: str) -> None:
    """Open the notebook, run its cell, draw a 1, clear, draw a 7; check the answers the page shows."""
    page.goto(url)
    canvas = page.locator(".mnistnn-draw-canvas")
    # Run the cell once the kernel is idle (a cell run while the session is still connecting can be lost:
    # then run it again).
    for attempt in range(3):
        page.get_by_text(re.compile(r"\| Idle$")).first.wait_for()
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.click()
        page.keyboard.press("Control+Enter")  # run the cell and stay on it
        try:
            canvas.wait_for(timeout=RUN_TIMEOUT_MS)
            break
        except PlaywrightTimeout:
            print(f"the widget did not appear after run {attempt + 1} of its cell")
            if attempt == 2:
                raise
    answer = page.locator(".mnistnn-draw-answer")
    _answer_is(page, "answer.textContent === 'draw a digit'")

    _stroke(page, canvas, [(0.52, 0.12), (0.50, 0.50), (0.48, 0.88)])  # a "1", by mouse
    _answer_is(page, "answer.dataset.prediction !== '-1'")
    first = answer.text_content()
    page.locator(".mnistnn-draw").screenshot(path=artifact_path("widget_draw_1.png"))
    assert first.startswith("The network reads: 1"), first

    page.locator(".mnistnn-draw-clear").click()
    _answer_is(page, "answer.textContent === 'draw a digit'")

    _touch_stroke(page, canvas, [(0.22, 0.18), (0.78, 0.18), (0.45, 0.88)])  # a "7", by finger
    _answer_is(page, "answer.dataset.prediction !== '-1'")
    second = answer.text_content()
    page.screenshot(path=artifact_path("widget_draw_7.png"))
    assert second.startswith("The network reads: 7"), second
    top = page.locator(".mnistnn-draw-top .mnistnn-draw-label").text_content()
    assert top == "7", f"the highlighted bar is {top!r}"
