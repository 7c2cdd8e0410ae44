"""Test tiers, for every test pytest collects (tests/, notebooks/, exercises/masters/)."""

import pytest

# ---- tiers -----------------------------------------------------------------------------------------------
# `python3 run.py test` runs every tier; `python3 run.py test --fast` only the unit tests (the tiers below
# deselected), under a minute: the check a developer runs after every change.
TIERS = {
    "test_book.py": "book",  # builds the static website with Sphinx
    "test_widget_browser.py": "browser",  # drives Debian's Chromium
    "test_exercises.py": "grading",  # otter assign, and the labs run as a learner runs them
    "test_grading.py": "grading",  # grading folders of submissions, sandboxed
    "test_bench.py": "slow",  # runs the benchmark's quick configuration
}
SLOW = {
    "test_repo2docker_builds_binder_from_the_conda_environment_and_runs_postbuild": "binder",
    "test_lab_opens_the_start_page_at_the_root_and_ctrl_c_stops_the_server_and_its_kernels": "slow",
    "test_the_command_line_reproduces_the_shipped_record_params": "slow",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path
        if path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)  # nbval: a notebook re-run, its outputs compared
        elif path.name in TIERS:
            item.add_marker(getattr(pytest.mark, TIERS[path.name]))
        if getattr(item, "originalname", None) in SLOW:
            item.add_marker(getattr(pytest.mark, SLOW[item.originalname]))
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
