"""`flowlogic eval`: label parsing, agreement statistics, and the shipped trainer labels."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flowlogic.cli.app import app
from flowlogic.errors import UsageError
from flowlogic.evaluation import RowOutcome, cohens_kappa, confusion, flag_scores, read_labels
from tests.conftest import FOOTAGE, ROOT

runner = CliRunner()


def test_kappa_known_values():
    assert cohens_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    # classic 2x2 example: po = 0.7, pe = 0.5 -> kappa 0.4
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohens_kappa(pairs) == pytest.approx(0.4)
    assert cohens_kappa([]) is None


def test_confusion_counts():
    table = confusion([("good", "good"), ("good", "compensation"), ("good", "good")])
    assert table == {"good": {"good": 2, "compensation": 1}}


def _write(tmp_path, text):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def test_label_errors_are_listed_with_line_numbers(tmp_path):
    path = _write(
        tmp_path,
        "video,test,view,expected_bucket\n"
        "a.mp4,overhead-squat,front,good\n"
        "b.mp4,not-a-test,front,good\n"
        "c.mp4,overhead-squat,front,great\n"
        ",overhead-squat,side,good\n",
    )
    with pytest.raises(UsageError) as error:
        read_labels(path)
    message = error.value.message
    assert "line 3" in message and "line 4" in message and "line 5" in message
    assert "line 2" not in message


def test_missing_columns_refused(tmp_path):
    with pytest.raises(UsageError, match="missing column"):
        read_labels(_write(tmp_path, "video,test\na.mp4,4\n"))


def test_flag_precision_recall_side_aware(tmp_path):
    label = read_labels(
        _write(
            tmp_path,
            "video,test,view,expected_flags\na.mp4,4,front,knee_valgus:right;asymmetric_shift\n",
        )
    )[0]
    outcome = RowOutcome(
        label, "valid", flags=frozenset({("knee_valgus", "left"), ("asymmetric_shift", "right")})
    )
    scores = flag_scores([outcome])
    assert (scores["true_positives"], scores["false_negatives"]) == (1, 1)
    assert scores["false_positives"] == 1  # knee_valgus on the wrong side


def test_shipped_trainer_labels_agreement(accepted_db):
    if not (FOOTAGE / "overhead_squat").is_dir():
        pytest.skip(f"shared footage folder {FOOTAGE} is absent")
    result = runner.invoke(app, ["eval", str(ROOT / "eval" / "ohs_trainer_labels.csv"), "--json"])
    assert result.exit_code == 0, result.output
    test = json.loads(result.stdout)["tests"][0]
    assert test["rows"] == test["scored"] == 7
    assert test["metrics"]["reps"]["mae"] == 0  # every clip holds exactly one squat
    # regression floor for the current scorer (71 % when written); fails if it degrades
    assert test["bucket_agreement"] >= 0.57
