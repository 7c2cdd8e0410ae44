"""Sphinx configuration of the series as a static website: `python3 run.py book` builds it into build/book/.

The notebooks are shown with their stored outputs (nothing is executed), and the site loads nothing from
the network: MathJax is a copy served with the site (MathJax 3.2.2 from the locked PyPI package
sphinx-mathjax-offline), so the pages work from a USB stick in a classroom without internet.
"""

import importlib.metadata
import re
import shutil
from pathlib import Path

project = "mnistnn"
author = "the mnistnn authors"
copyright = "the mnistnn authors; code under the MIT licence, MNIST under CC BY-SA 3.0"
html_title = "mnistnn"

extensions = ["myst_nb", "sphinx.ext.mathjax"]
exclude_patterns = ["**.ipynb_checkpoints"]

# Notebooks: the stored outputs as they are; nothing runs while the site is built.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget libraries from a CDN
# A widget needs a running kernel: the pages show its stored text form instead (as the notebook says).
nb_mime_priority_overrides = [("*", "application/vnd.jupyter.widget-view+json", None)]
myst_enable_extensions = ["dollarmath", "amsmath"]
# MathJax reads the whole page (below), so that $...$ inside the notebooks' raw HTML is maths too;
# MyST's own setting would hide it from MathJax.
myst_update_mathjax = False
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,  # the .ipynb, served with the site
    "use_fullscreen_button": False,
}
html_context = {"default_mode": "light"}  # the pages as printed or projected; readers can switch to dark
html_last_updated_fmt = None
html_show_sourcelink = False

# MathJax served with the site (_static/mathjax/), never from a CDN.
mathjax_path = "mathjax/tex-chtml.js"
# $...$ in the notebooks' raw HTML (the exercises' folded hints) is maths too, as in JupyterLab.
# (<pre> and <code>, so code and printed output, are never read as maths.)
mathjax3_config = {
    "tex": {
        "inlineMath": [["\\(", "\\)"], ["$", "$"]],
        "displayMath": [["\\[", "\\]"], ["$$", "$$"]],
        "processEscapes": True,
    }
}
MATHJAX = Path(
    str(importlib.metadata.distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax"))
)
# tex-chtml.js is the whole of TeX input and HTML output; the folders hold what it loads on demand
# (fonts, TeX extensions such as \boldsymbol, the menu and its accessibility tools).
MATHJAX_PARTS = ["tex-chtml.js", "input", "output", "ui", "a11y", "sre", "adaptors"]


def copy_mathjax(app, exception):
    """After a successful build, copy the parts of MathJax the pages use into _static/mathjax/."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        source = MATHJAX / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)


def leave_out_empty_labs(app, docname, source):
    """The labs' table of contents on the front page, only once exercises/ holds student notebooks
    (an empty glob would be a warning, and warnings fail the build)."""
    if docname == "index" and not any((Path(app.srcdir) / "exercises").glob("*.ipynb")):
        source[0] = re.sub(r"<!-- labs:.*?<!-- /labs -->", "", source[0], flags=re.DOTALL)


def setup(app):
    app.connect("source-read", leave_out_empty_labs)
    app.connect("build-finished", copy_mathjax)
