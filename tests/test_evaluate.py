"""The evaluator: metric arithmetic on a hand-computed case, roll-up, gold files,
predictions, cross-validation folds, and `qualcode evaluate --json`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.codebook.yaml_io import load_yaml_codebook
from qualcode.errors import InputError, QualcodeError
from qualcode.suggest.evaluate import (
    GoldVectors,
    cv_folds,
    evaluate,
    evaluate_gold,
    predictions_csv,
    report,
    training_labels,
)
from qualcode.suggest.gold import GoldRow, read_gold
from qualcode.suggest.learning import ACCEPTED, REJECTED
from qualcode.suggest.metrics import compute_metrics
from qualcode.suggest.model import TextVectors

from .suggest_helpers import HashEmbedder, write_codebook

EVALUATE_KEYS = {
    "n",
    "mode",
    "model",
    "top1_accuracy",
    "hit_at_3",
    "micro_f1",
    "macro_f1",
    "per_code",
}
PER_CODE_KEYS = {"precision", "recall", "f1", "support"}

GOLD_ROWS = [
    ("g1", "I passed my English exam at college.", "education"),
    ("g2", "My teacher helps me every week with homework.", "education"),
    ("g3", "We moved to a new flat and I have my own room.", "housing"),
    ("g4", "The hostel was loud and I could not sleep at night.", "housing"),
    ("g5", "My friends at the youth club are like family.", "friends"),
    ("g6", "I feel I belong with my friends from football.", "friends;housing"),
]


def write_gold(directory: Path, rows=GOLD_ROWS, header=("id", "text", "codes")) -> Path:
    path = directory / "gold.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_metrics_match_a_hand_computed_example() -> None:
    labels = ["a", "b", "c", "d"]
    gold = [["a"], ["b"], ["a", "c"], ["c"]]
    scores = np.array(
        [
            [0.9, 0.2, 0.1, 0.0],  # top a (gold)   top-3 hit   predicted {a}
            [0.6, 0.55, 0.1, 0.0],  # top a (miss)   top-3 hit   predicted {a, b}
            [0.3, 0.1, 0.8, 0.2],  # top c (gold)   top-3 hit   predicted {c}
            [0.2, 0.7, 0.1, 0.4],  # top b (miss)   top-3 b,d,a: miss   predicted {b}
        ]
    )
    m = compute_metrics(labels, scores, gold, threshold=0.5)
    # top-1: texts 1 and 3 of 4 = 0.5; hit@3: texts 1, 2, 3 of 4 = 0.75
    assert m.n == 4
    assert m.top1_accuracy == pytest.approx(0.5)
    assert m.hit_at_3 == pytest.approx(0.75)
    # a: predicted t1 t2, gold t1 t3 -> TP 1 FP 1 FN 1: P 0.5 R 0.5 F1 0.5
    # b: predicted t2 t4, gold t2    -> TP 1 FP 1 FN 0: P 0.5 R 1.0 F1 2/3
    # c: predicted t3, gold t3 t4    -> TP 1 FP 0 FN 1: P 1.0 R 0.5 F1 2/3
    # d: never predicted, no gold    -> support 0, left out of the macro mean
    assert m.per_code["a"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert m.per_code["b"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    )
    assert m.per_code["c"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    )
    assert m.per_code["d"]["support"] == 0
    # micro: TP 3, FP 2, FN 2 -> P 3/5, R 3/5, F1 0.6; macro: (0.5 + 2/3 + 2/3) / 3
    assert m.micro_f1 == pytest.approx(0.6)
    assert m.macro_f1 == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    # kappa a: truth 1010, predicted 1100: po 0.5, pe 0.5*0.5 + 0.5*0.5 = 0.5 -> 0
    # kappa c: truth 0011, predicted 0010: po 0.75, pe 0.5*0.25 + 0.5*0.75 = 0.5 -> 0.5
    assert m.cohen_kappa_per_code["a"] == pytest.approx(0.0)
    assert m.cohen_kappa_per_code["c"] == pytest.approx(0.5)
    assert m.cohen_kappa_per_code["d"] is None


def _gold_vectors(tmp_path: Path, rows: list[GoldRow]) -> GoldVectors:
    codebook = load_yaml_codebook(write_codebook(tmp_path))
    empty = np.zeros((len(rows), 2), dtype=np.float32)
    return GoldVectors(
        rows,
        codebook,
        ["education", "housing", "friends"],
        [],
        np.zeros((0, 2), dtype=np.float32),
        TextVectors(empty),
        "fixed",
    )


def test_level_one_rolls_scores_and_gold_up_to_groups(tmp_path: Path) -> None:
    rows = [GoldRow("1", "t1", ("friends",)), GoldRow("2", "t2", ("education",))]
    gold = _gold_vectors(tmp_path, rows)
    scores = np.array(
        [
            [0.3, 0.6, 0.2],  # learning 0.3, home max(0.6, 0.2) = 0.6
            [0.4, 0.45, 0.1],
        ]
    )  # learning 0.4, home 0.45
    by_code, _, _ = report(gold, scores, level=0, mode="zero-shot")
    by_group, labels, rolled = report(gold, scores, level=1, mode="zero-shot")
    assert by_code["top1_accuracy"] == 0.0  # housing for friends, housing for education
    assert by_group["top1_accuracy"] == 0.5  # home for friends (right), home for education
    assert labels == ["learning", "home"]
    np.testing.assert_allclose(rolled, [[0.3, 0.6], [0.4, 0.45]])
    assert set(by_group["per_code"]) == {"learning", "home"}
    # at 0.5: home predicted for t1 only (gold home), learning never (gold t2)
    assert by_group["per_code"]["home"] == pytest.approx(
        {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    )
    assert by_group["per_code"]["learning"] == pytest.approx(
        {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    )
    assert by_group["macro_f1"] == pytest.approx(0.5)
    assert by_group["level"] == 1 and by_group["threshold"] == 0.5


def test_predictions_csv_lists_predicted_and_top_codes() -> None:
    rows = [GoldRow("x1", "t", ("a",)), GoldRow("x2", "u", ("b",))]
    scores = np.array([[0.9, 0.6, 0.1], [0.2, 0.3, 0.1]])
    text = predictions_csv(rows, ["a", "b", "c"], scores, 0.5)
    assert text.splitlines() == [
        "id,predicted,top",
        "x1,a;b,a:0.900;b:0.600;c:0.100",
        "x2,,b:0.300;a:0.200;c:0.100",
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("id,text\n1,hello\n", "missing column(s) codes"),
        ("id,text,codes\n1,hello,education;unknown_code\n", "unknown code id 'unknown_code'"),
        ("id,text,codes\n", "no gold rows"),
        ("", "empty file"),
        ("text,codes\n,education\n", "line 2: empty text"),
        ("text,codes\nhello,\n", "no row has a code"),
    ],
)
def test_bad_gold_files_are_one_line_input_errors(
    tmp_path: Path, content: str, problem: str
) -> None:
    codebook = load_yaml_codebook(write_codebook(tmp_path))
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_gold(path, codebook)
    assert problem in str(caught.value)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_gold_reader_accepts_group_ids_and_numbers_rows(tmp_path: Path) -> None:
    codebook = load_yaml_codebook(write_codebook(tmp_path))
    path = write_gold(tmp_path, [("", "Some text", " home ; friends ")], ("id", "text", "codes"))
    assert read_gold(path, codebook) == [GoldRow("1", "Some text", ("home", "friends"))]


def test_training_labels_and_folds(tmp_path: Path) -> None:
    rows = [
        GoldRow(str(i), f"t{i}", (code,))
        for i, code in enumerate(["education", "housing", "friends"] * 4)
    ]
    gold = _gold_vectors(tmp_path, rows)
    labels = training_labels(gold, np.array([0, 1]))
    assert labels.tolist() == [[ACCEPTED, REJECTED, REJECTED], [REJECTED, ACCEPTED, REJECTED]]
    folds = cv_folds(gold, 4)
    assert sorted(np.concatenate(folds).tolist()) == list(range(12))
    for test in folds:  # stratified: one text of each code per fold
        assert sorted(rows[i].codes[0] for i in test) == ["education", "friends", "housing"]
    assert [f.tolist() for f in cv_folds(gold, 4)] == [f.tolist() for f in folds]  # fixed seed
    with pytest.raises(QualcodeError, match="between 2 and 12 folds"):
        cv_folds(gold, 13)


def test_evaluate_gold_zero_shot_and_learned(tmp_path: Path) -> None:
    codebook = load_yaml_codebook(write_codebook(tmp_path))
    gold = write_gold(tmp_path)
    out = tmp_path / "pred.csv"
    zero = evaluate_gold(gold, codebook, HashEmbedder(), level=1, predictions=out)
    assert EVALUATE_KEYS <= set(zero)
    assert zero["mode"] == "zero-shot" and zero["model"] == "test-hash" and zero["n"] == 6
    assert set(zero["per_code"]) == {"learning", "home"}
    assert all(set(v) == PER_CODE_KEYS for v in zero["per_code"].values())
    assert 0.0 <= zero["top1_accuracy"] <= zero["hit_at_3"] <= 1.0
    with out.open(encoding="utf-8") as handle:
        predicted = list(csv.DictReader(handle))
    assert [row["id"] for row in predicted] == ["g1", "g2", "g3", "g4", "g5", "g6"]
    assert all(len(row["top"].split(";")) == 2 for row in predicted)  # 2 groups at level 1
    learned = evaluate_gold(gold, codebook, HashEmbedder(), cv=2)
    assert learned["mode"] == "learned" and set(learned["per_code"]) == {
        "education",
        "housing",
        "friends",
    }


def test_evaluate_needs_a_codebook_and_sane_options(tmp_path: Path) -> None:
    gold = write_gold(tmp_path)
    with pytest.raises(QualcodeError, match="codebook_path or a project with a codebook is needed"):
        evaluate(gold)
    with pytest.raises(QualcodeError, match="at least 2 folds"):
        evaluate(gold, codebook_path=write_codebook(tmp_path), cv=1)


def test_cli_evaluate_json_without_a_project(tmp_path: Path) -> None:
    gold = write_gold(tmp_path)
    codebook = write_codebook(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(tmp_path / "absent.duckdb"),
            "evaluate",
            "--gold",
            str(gold),
            "--codebook",
            str(codebook),
            "--level",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == EVALUATE_KEYS | {"cohen_kappa_per_code", "level", "threshold"}
    assert payload["mode"] == "zero-shot" and payload["model"] == "all-MiniLM-L6-v2"
    assert payload["n"] == 6 and payload["level"] == 1
    assert isinstance(payload["top1_accuracy"], float)
    assert not (tmp_path / "absent.duckdb").exists()


def test_cli_evaluate_bad_gold_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,x\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["evaluate", "--gold", str(bad), "--codebook", str(write_codebook(tmp_path))]
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {bad}: missing column(s) codes (need text and codes)"
