"""Feedback for the labs: run a learner's function on the lab's cases and name the mistake, in one line.

Every check is registered in :data:`CHECKS` by the lab module that defines it (``lab01`` ... ``lab08``), with its
table of known mistakes. ``check_<name>(fn)`` runs the public case on a function:

>>> import numpy as np
>>> from mnistnn import feedback
>>> result = feedback.check_softmax(lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True))
>>> result.passed, result.mistake
(False, <Code.NO_MAX_SHIFT: 'no_max_shift'>)
>>> print(result.message[:60])
softmax: nan at large scores: exp() overflows without the ma

In a lab notebook, ``grader = Lab("lab03")`` runs them question by question (:mod:`mnistnn.feedback.labs`);
grading runs the same checks in a sandbox (:mod:`mnistnn.grading`). A :class:`Feedback` is true when every check
passed and displays as one line: what is wrong, the shapes or values seen, and which section of which
walk-through to re-read. The checks never raise and never show a traceback of their own.
"""

from __future__ import annotations

from . import lab01, lab02, lab03, lab04, lab05, lab06, lab07, lab08
from .core import CHECKS, SECTIONS, Code, Feedback, Mistake
from .labs import LABS, Lab, Variant, lab_of

_LAB_MODULES = (lab01, lab02, lab03, lab04, lab05, lab06, lab07, lab08)  # importing them registers their checks

__all__ = [  # noqa: PLE0604  the checks' names come from their registry, not from a list kept by hand
    "CHECKS",
    "LABS",
    "SECTIONS",
    "Code",
    "Feedback",
    "Lab",
    "Mistake",
    "Variant",
    "lab_of",
    *(f"check_{name}" for name in CHECKS),
]


def __getattr__(name: str):
    """``check_<name>``: the registered check of that name."""
    if name.startswith("check_") and name[len("check_") :] in CHECKS:
        return CHECKS[name[len("check_") :]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
