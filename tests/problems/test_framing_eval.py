"""The framing scorer: any TSV of label, field and text gives precision and recall."""

from pathlib import Path

import pytest

from intake.problems.framing_eval import main


def test_it_prints_recall_and_precision_overall_and_per_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "batch.tsv"
    batch.write_text(
        "label\tfield\ttext\n"
        "# a comment\n"
        'Solution\tTitle\t"Build a dashboard of overtime by unit"\n'
        "solution\tstatement\tOvertime is high.\n"
        "\n"
        "problem\tstatement\tThe inspection app crashes when inspectors lose signal.\n"
        "problem\toutcome\tResidents get a decision within ten business days.\n",
        encoding="utf-8",
    )

    assert main([str(batch), "--misses"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "all", "4", "texts", "recall", "0.500", "(1/2)", "precision", "1.000", "(1/1)"
    ]  # fmt: skip
    assert out[1].startswith("title ") and "recall 1.000 (1/1)" in out[1]
    assert out[2].startswith("problem_statement ") and "recall 0.000 (0/1)" in out[2]
    assert out[3].startswith("desired_outcome ") and "precision 1.000 (0/0)" in out[3]
    assert out[4:] == ["missed       problem_statement: Overtime is high."]


def test_a_malformed_line_is_named_and_nothing_is_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "batch.tsv"
    batch.write_text("solution\ttitle\tBuild an app\nmaybe\ttitle\tBuy tablets\n", encoding="utf-8")

    assert main([str(batch)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{batch}:2: expected label<TAB>field<TAB>text" in captured.err
