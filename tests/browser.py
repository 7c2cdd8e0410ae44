"""Shared helpers for the real-browser tests: Debian's Chromium driven by Playwright's Python package.

The tests never download a browser build (``playwright install`` is not used): they drive the system's
Chromium through ``executable_path``. Where Chromium or Playwright is missing they skip, saying why and
how to get it.

    from browser import artifact_path, free_port, launch_browser   # tests/ is on sys.path under pytest

    def test_page():
        with launch_browser() as browser:             # skips if Chromium or Playwright is missing
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.screenshot(path=artifact_path("page.png"))

Screenshots and other artefacts go to ``test-artifacts/`` at the repository's root (git-ignored).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

# Headless, no sandbox (CI containers run as root), and nothing that reaches the network by itself.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

INSTALL_HINT = (
    "install Debian's Chromium (as root: apt-get update && apt-get install -y chromium), "
    "or point $CHROMIUM at a Chromium executable"
)


def find_chromium() -> str | None:
    """The Chromium executable to use: $CHROMIUM if set, else Debian's /usr/bin/chromium, else None."""
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def chromium_or_skip() -> str:
    """The Chromium executable, or skip the calling test with the reason and the fix."""
    path = find_chromium()
    if path is None:
        where = f"$CHROMIUM={os.environ['CHROMIUM']!r} is not an executable; " if os.environ.get("CHROMIUM") else ""
        pytest.skip(f"no Chromium found ({where}/usr/bin/chromium is missing): {INSTALL_HINT}")
    return path


@contextmanager
def launch_browser(*, timeout_ms: float = 60_000) -> Iterator[object]:
    """Launch headless Chromium through Playwright and yield the ``playwright.sync_api.Browser``.

    Skips the calling test (``pytest.skip``) when Playwright's Python package or Chromium is missing.
    The browser and Playwright are always shut down on exit, also when the test fails.

    Parameters
    ----------
    timeout_ms : float
        How long Chromium may take to start, in milliseconds.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "Playwright's Python package is missing: install the test extra "
            "(.venv/bin/python -m pip install -e '.[test]'); no browser download is needed"
        )
    executable = chromium_or_skip()
    # otter's in-process grading runs (tests/test_exercises.py) can leave this thread marked as running an
    # asyncio loop, which Playwright's sync API then refuses to start under; no loop really runs here.
    leaked_loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS), timeout=timeout_ms
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        asyncio.events._set_running_loop(leaked_loop)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def artifact_path(name: str) -> Path:
    """Where to save a test artefact called ``name`` (e.g. a screenshot): test-artifacts/<name>.

    The folder is created if needed; it is git-ignored.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
