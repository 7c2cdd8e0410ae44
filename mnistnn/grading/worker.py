"""The sandboxed side of grading: runs one submission's definitions and calls its functions on request.

Started by :class:`mnistnn.grading.session.Worker`, inside bubblewrap where it runs. It reads requests from its
stdin and answers on a private copy of its stdout; the submission's own output goes nowhere (the learner's prints
change nothing). Nothing here is trusted: the grader compares what comes back, in its own process.

    python -m mnistnn.grading.worker
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    """Serve requests until stdin closes: "define" (the cells' definitions, the package functions watched),
    then "calls" (a list of calls), answered with their outcomes."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.dup(1)
    silent = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the submission reads nothing and prints to nowhere
        os.dup2(silent, fd)
    # Imported only now: nothing of the submission has run yet, and the worker's own modules are loaded first.
    from ..feedback.calls import Tracer, execute
    from ..feedback.definitions import rebuild
    from .wire import WireError, receive, send

    namespace, forbidden = {}, ()
    while True:
        try:
            message = receive(requests)
        except WireError:
            return 0
        if message.get("op") == "define":
            namespace, problems = rebuild(message["cells"])
            forbidden = tuple(message.get("forbidden", ()))
            names = sorted(name for name, value in namespace.items() if callable(value) and not name.startswith("_"))
            send(answers, {"problems": problems, "names": names})
        elif message.get("op") == "calls":
            tracer = Tracer(namespace, forbidden)
            outcomes = execute(
                namespace, [(name, tuple(args), dict(kwargs)) for name, args, kwargs in message["requests"]], tracer
            )
            send(answers, {"outcomes": outcomes, "called": tracer.called, "package": tracer.package + tracer.refused})
        else:
            return 2


if __name__ == "__main__":
    sys.exit(main())
