"""The otter-grader plugin that makes otter's own grading run (Gradescope, ``otter grade``, ``otter run``) trusted.

Otter grades by executing the submitted notebook and then running the test files in the same kernel, where a
cell could change anything. This plugin, named in the autograder's ``otter_config.json`` (with the lab and the
variant), hands otter another notebook to execute: one cell that opens a :class:`mnistnn.grading.Session` on the
submission. The submission's own cells never run in otter's kernel; its definitions run in a sandboxed worker, and
the test files' ``grader.check("qN")`` are answered by the session, here.
"""

from __future__ import annotations

import nbformat
from otter.plugins import AbstractOtterPlugin


class Grading(AbstractOtterPlugin):
    """Grade the submission through a Session instead of executing it."""

    def before_execution(self, submission):
        settings = self.plugin_config or {}
        lab, variant = settings["lab"], settings.get("variant", "public")
        source = (
            f"from mnistnn.grading.session import open_for_otter\n"
            f"grader = open_for_otter({str(self.submission_path)!r}, {lab!r}, {variant!r})"
        )
        return nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(source)],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        )
