"""crossentropy_site.benchtable: the Performance page's tables from the results file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crossentropy_site.benchtable import format_ms, render_table

RESULTS = json.loads(
    (Path(__file__).resolve().parents[2] / "benchmarks" / "results.json").read_text()
)
CASES = sorted({row["case"] for row in RESULTS["rows"]})


@pytest.mark.parametrize("case", CASES)
def test_a_table_per_case_with_a_row_per_shape(case: str) -> None:
    html = render_table(RESULTS, case)
    rows = [r for r in RESULTS["rows"] if r["case"] == case]
    shapes = {(r["shape"], r["dtype"]) for r in rows}
    contenders = {r["contender"] for r in rows}
    assert html.count('<th scope="row">') == len(shapes)
    assert html.count("<th>") == len(contenders) + 1
    assert RESULTS["machine"]["cpu"] in html
    for row in rows:
        assert f"{format_ms(row['median_ms'])} ms" in html


def test_an_unknown_case_is_an_error() -> None:
    with pytest.raises(ValueError, match="no rows for case"):
        render_table(RESULTS, "no-such-case")


def test_times_read_as_plain_numbers() -> None:
    assert [format_ms(v) for v in (1911.4, 226.81, 44.75, 4.0, 0.647)] == [
        "1911",
        "227",
        "44.8",
        "4.00",
        "0.65",
    ]
