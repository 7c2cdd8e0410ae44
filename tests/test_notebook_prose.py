"""Every number a notebook's text quotes is in that notebook: in a stored output (to the digits quoted) or in its code.

A number that changes when the code is re-run then fails here instead of silently drifting from the text. The
numbers checked are decimals, percentages and whole numbers from 11 up; the few that come from elsewhere
(published results, the original notebook's report, definitions) are listed in ELSEWHERE with where they come from.
The answers folded under the exercises (<details> blocks) are left out: the student computes those.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

NUMBER = re.compile(r"(?<![\w.$^{\\])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%?)(?![\w.]*\d)")

#: Numbers quoted from outside the notebook, per notebook prefix: where each comes from.
ELSEWHERE = {
    "01": {
        "70,000": "60,000 + 10,000 images, the size of MNIST",
        "42,000": "Kaggle's train.csv",
        "1,000": "the original's dev set",
        "85%": "the original notebook's reported training accuracy",
        "255": "the largest pixel value",
        "28": "28x28 pixels",
        "15": "columns 4 to 15, the slice 4:16",
    },
    "02": {
        "1.8": "the largest float64 is about 1.8e308",
        "308": "its exponent",
        "710": "exp(710) overflows",
        "0.7311": "1 / (1 + e^-1), derived in the text",
        "2.303": "ln 10, a definition",
        "784": "28 x 28",
        "7,960": "10 x 784 + 10 + 10 x 10 + 10, derived in the text",
        "1000": "the example's score",
        "999": "the example's score",
        "85%": "notebook 04's accuracy",
        "98%": "notebook 06's accuracy",
    },
    "03": {
        "42,000": "the original's CSV",
        "41,000": "the original's training rows",
        "0.098": "0.1 x 41/42",
        "0.7": "the relative error of unrelated random arrays (a property of the formula)",
        "2.4%": "1 - 40/41, computed in the text",
        "41": "41/42, the original's m",
        "42": "41/42, the original's m",
        "32": "the network of exercise 2",
    },
    "04": {
        "85%": "the original notebook's reported accuracy",
        "41,000": "the original's training rows",
        "42,000": "Kaggle's train.csv",
        "7,960": "the parameters, notebook 02",
        "1,000": "held out by the original",
        "2.30": "ln 10, notebook 02",
        "10,000": "the validation images (load_dataset's default)",
        "16": "float64's 53-bit significand: 53 log10(2) = 15.95 decimal digits",
    },
    "05": {
        "41,000": "notebook 04's training images",
        "0.10": "notebook 04's learning rate (recipes.ORIGINAL)",
        "500": "notebook 04's iterations (recipes.ORIGINAL)",
        "28": "28x28 pixels",
        "51%": "an illustration",
        "0.4": "read off the colour bar of the weight-change figure",
        "0.75": "read off the weights' colour bar",
    },
    "06": {
        "4.7%": "LeCun et al. 1998",
        "1.6%": "Simard et al. 2003",
        "300": "LeCun et al. 1998",
        "86.05%": "notebook 04's test accuracy",
        "1998": "a year",
        "2003": "a year",
        "2015": "a year",
        "86": "Proc. IEEE volume",
        "0.14": "sqrt(0.98 * 0.02 / 10000), computed in the text",
        "60,000": "MNIST's training set",
        "50,000": "5 epochs x 10,000 images",
        "2.30": "ln 10, notebook 02",
        "500": "5 epochs x 100 steps; notebook 04's iterations",
        "41,000": "notebook 04's training images",
        "32": "exercise 6's batch size",
        "85%": "notebook 04's accuracy",
        "14%": "100% - 86.05%, from the text",
        "11": "Proc. IEEE issue 86(11)",
    },
    "08": {
        "101,770": "784 x 128 + 128 + 128 x 10 + 10, derived in the text",
        "15": "40 - 25 epochs, from the output",
        "0.15": "89.00% - 88.85%, from the outputs",
        "0.999": "Adam's beta2 (Kingma and Ba 2015)",
        "1.85": "95.65% - 93.80%, from the table",
        "271": "the record recipe's training time (mnistnn/bundled/README.md)",
        "98.10%": "notebook 06's test accuracy",
        "1.90%": "notebook 06's test error",
        "190": "notebook 06's wrong test images: 1.90% of 10,000",
        "0.92%": "100% - 99.08%, from the output",
        "1.6%": "Simard et al. 2003",
        "1.1%": "Simard et al. 2003",
        "0.7%": "Simard et al. 2003",
        "0.01": "1 - 0.99, in the standard error",
        "2003": "a year",
        "2014": "a year",
        "2015": "a year",
        "2019": "a year",
        "0.06": "1 - 0.94, in the standard error",
        "0.14": "sqrt(2) x 0.1, the standard error of a difference, computed in the text",
        "0.18": "1.1% - 0.92%, from the table",
        "20,000": "40 epochs x 500 steps of the record recipe",
        "400": "40 epochs x 10 steps",
        "500": "10 epochs x 50 steps",
        "60,000": "MNIST's training set",
        "1929": "JMLR pages",
        "1958": "JMLR pages",
        "958": "ICDAR pages",
        "963": "ICDAR pages",
    },
    "07": {
        "200,960": "784 x 256 + 256, derived in the text",
        "2,570": "256 x 10 + 10, derived in the text",
        "500": "notebook 04's iterations",
    },
}


def cells(path):
    return json.loads(path.read_text())["cells"]


def prose(path):
    """The markdown of a notebook without code blocks, exercise answers and link targets."""
    text = "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "markdown")
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL).replace("{,}", ",")  # LaTeX's 200{,}960
    text = re.sub(r"<details>.*?</details>", " ", text, flags=re.DOTALL)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"`[^`]*`", lambda m: " " if re.search(r"\d", m.group(0)) else m.group(0), text)  # quoted code
    text = re.sub(r"\d+ minutes", " ", text)  # reading times: estimates, not results
    return re.sub(
        r"\b(notebook|notebooks|section|sections|exercise|exercises|rung|rungs|cell)\s+\d+"
        r"(\s*(,|and|to|-)\s*\d+)*",
        " ",
        text,
    )


def outputs_and_code(path):
    """The stored text outputs, and the code, of a notebook."""
    out, code = [], []
    for c in cells(path):
        if c["cell_type"] != "code":
            continue
        code.append("".join(c["source"]))
        for o in c.get("outputs", []):
            if o.get("name") == "stderr":  # progress bars: their percentages and rates are not results
                continue
            out.append("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")))
    return "\n".join(out), "\n".join(code)


def quoted_numbers(text):
    for match in NUMBER.finditer(text):
        whole, decimals, percent = match.groups()
        value = float(whole.replace(",", "") + (decimals or ""))
        if decimals or percent or value >= 11:
            yield match.group(0), value, len(decimals or ".") - 1, bool(percent)


def appears(value, digits, percent, outputs, code):
    found = [float(t.replace(",", "")) for t in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", outputs)]
    literals = {float(t.replace("_", "")) for t in re.findall(r"\d[\d_]*(?:\.\d+)?", code)}
    if not percent and value in literals:
        return True
    candidates = found + ([100 * f for f in found] if percent else [])
    return any(round(f, digits) == value for f in candidates)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_number_in_the_text_comes_from_the_notebook(path):
    outputs, code = outputs_and_code(path)
    allowed = ELSEWHERE.get(path.name[:2], {})
    missing = sorted(
        {
            text
            for text, value, digits, percent in quoted_numbers(prose(path))
            if text not in allowed and not appears(value, digits, percent, outputs, code)
        }
    )
    assert not missing, f"{path.name}: numbers in the text found in no output or code: {missing}"


def test_the_checker_catches_a_drifted_number(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["Accuracy 85.77%, loss 0.467, 5,000 images."]},
            {
                "cell_type": "code",
                "source": ["X[:, :5_000]"],
                "outputs": [{"output_type": "stream", "text": ["accuracy 0.8577 loss 0.4672\n"]}],
            },
        ]
    }
    path = tmp_path / "99_x.ipynb"
    path.write_text(json.dumps(notebook))
    outputs, code = outputs_and_code(path)
    assert all(appears(v, d, p, outputs, code) for _, v, d, p in quoted_numbers(prose(path)))
    notebook["cells"][1]["outputs"][0]["text"] = ["accuracy 0.8612 loss 0.4672\n"]
    path.write_text(json.dumps(notebook))
    outputs, code = outputs_and_code(path)
    assert [t for t, v, d, p in quoted_numbers(prose(path)) if not appears(v, d, p, outputs, code)] == ["85.77%"]
