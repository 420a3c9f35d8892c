"""Agreement on a project: the segment as unit, missing vs absent, adjudication, samples,
codings import. Expected values are computed by hand in the comments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.agreement.adjudication import disagreements, settle
from qualcode.agreement.report import agreement_report
from qualcode.agreement.sampling import create_sample, sample_segment_ids
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.csv_import import import_codings
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.errors import InputError, QualcodeError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.store import Project

from .conftest import REFERENCE, REPO_ROOT, rows

TEXT = (
    "YP1: I feel safe in my room now.\n"
    "YP2: The police were kind to me.\n"
    "YP3: My solicitor explained my case.\n"
    "YP4: A lock on my door and good legal advice.\n"
)


@pytest.fixture
def doubled(project: Project, tmp_path: Path) -> Project:
    """Four segments; alice reviews all four, bob the first three.

    safety:       alice 1 0 0 1   bob 1 1 0 -
    legal_advice: alice 0 0 1 1   bob 0 0 1 -
    """
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    (tmp_path / "t.txt").write_text(TEXT)
    ingest_paths(project, [tmp_path / "t.txt"], location="Location 1", session="1")
    record_decisions(
        project,
        [
            Decision(1, "safety", "alice", "add"),
            Decision(3, "legal_advice", "alice", "add"),
            Decision(4, "safety", "alice", "add"),
            Decision(4, "legal_advice", "alice", "add", memo="both, I think"),
            Decision(1, "safety", "bob", "accept", "suggestion", 0.7),
            Decision(2, "safety", "bob", "add"),
            Decision(3, "legal_advice", "bob", "add"),
        ],
    )
    mark_reviewed(project, [2], "alice")
    return project


def test_report_by_hand(doubled: Project) -> None:
    report = agreement_report(doubled, ci=False)
    assert report["unit"] == "segment"
    assert report["coders"] == ["alice", "bob"]
    # segment 4 was reviewed by alice only: missing for bob, so 3 pairable segments
    assert (report["n_units"], report["n_segments_reviewed"]) == (3, 4)
    safety = report["per_code"]["safety"]
    # a = 1 0 0, b = 1 1 0: po = 2/3, pe = 1/3*2/3 + 2/3*1/3 = 4/9, kappa = (2/9)/(5/9)
    assert safety["cohen_kappa"] == pytest.approx(0.4)
    assert safety["percent_agreement"] == pytest.approx(2 / 3)
    # coincidences o11 = 2, o01 = o10 = 1, o00 = 2; n = 6: alpha = 1 - 5 * 1 / (3 * 3)
    assert safety["krippendorff_alpha"] == pytest.approx(4 / 9)
    # 4 present (alice s1 s4, bob s1 s2) among 7 ratings (alice 4, bob 3)
    assert (safety["n_units"], safety["prevalence"]) == (3, pytest.approx(4 / 7))
    assert safety["rare"] is True
    assert report["per_code"]["legal_advice"]["cohen_kappa"] == pytest.approx(1.0)
    # codes nobody applied are not listed
    assert set(report["per_code"]) == {"safety", "legal_advice"}
    overall = report["overall"]
    # pooled: a = 1 0 | 0 0 | 0 1, b = 1 0 | 1 0 | 0 1: po = 5/6, pe = 2/6*3/6 + 4/6*3/6
    assert overall["percent_agreement"] == pytest.approx(5 / 6)
    assert overall["cohen_kappa"] == pytest.approx(2 / 3)
    assert overall["fleiss_kappa"] is not None
    assert "pairable" in report["definitions"]["percent_agreement"].lower()


def test_confidence_intervals_are_reproducible_and_contain_the_estimate(doubled: Project) -> None:
    first = agreement_report(doubled, n_boot=200)
    second = agreement_report(doubled, n_boot=200)
    assert first["overall"]["ci95"] == second["overall"]["ci95"]
    low, high = first["overall"]["ci95"]["percent_agreement"]
    assert low <= first["overall"]["percent_agreement"] <= high


def test_by_location(doubled: Project) -> None:
    report = agreement_report(doubled, by="location", ci=False)
    assert report["by"]["dimension"] == "location"
    group = report["by"]["groups"]["Location 1"]
    assert group["n_units"] == 3
    assert group["cohen_kappa"] == pytest.approx(2 / 3)


def test_unknown_coder_and_single_coder(doubled: Project) -> None:
    with pytest.raises(QualcodeError, match="coder 'carol' has no decisions"):
        agreement_report(doubled, ["alice", "carol"])
    with pytest.raises(QualcodeError, match="two or more coders"):
        agreement_report(doubled, ["alice"])
    with pytest.raises(QualcodeError, match="no suggestions yet"):
        agreement_report(doubled, ["alice", "model"])


def test_disagreements_and_settlement(doubled: Project) -> None:
    found = disagreements(doubled)
    assert [(d.segment_id, d.code_id, d.decisions) for d in found] == [
        (2, "safety", {"alice": "absent", "bob": "present"})
    ]
    assert found[0].text == "The police were kind to me." and found[0].settled is None

    add_coder(doubled, "sam", "supervisor")
    with pytest.raises(QualcodeError, match="'alice' is not registered"):
        settle(doubled, 2, "safety", "alice", adopt="bob")
    with pytest.raises(QualcodeError, match="needs a reason"):
        settle(doubled, 2, "safety", "sam", decision="absent")
    settle(doubled, 2, "safety", "sam", adopt="bob")
    assert disagreements(doubled)[0].settled == "present"
    settle(doubled, 2, "safety", "sam", decision="absent", reason="police, not safety as such")
    assert disagreements(doubled)[0].settled == "absent"
    # the raw layers are untouched; consensus is its own coder
    assert rows(doubled, "SELECT coder FROM codings WHERE segment_id = 2 ORDER BY coder") == [
        ("bob",)
    ]
    assert rows(
        doubled, "SELECT action, source, memo FROM coding_events WHERE coder = 'consensus'"
    ) == [
        ("add", "adjudication", "adopted bob's decision; settled by sam"),
        ("reject", "adjudication", "settled by sam: police, not safety as such"),
    ]
    assert agreement_report(doubled, ci=False)["coders"] == ["alice", "bob"]


def test_samples_are_reproducible(doubled: Project, tmp_path: Path) -> None:
    sample = create_sample(doubled, "round1", 0.5, ["location"])
    assert (sample.segments, sample.documents) == (2, 1)
    again = Project.init(tmp_path / "again.duckdb")
    load_codebook(again, REPO_ROOT / "codebook" / "csf-pof.yaml")
    ingest_paths(again, [tmp_path / "t.txt"], location="Location 1", session="1")
    create_sample(again, "round1", 0.5, ["location"])
    assert sample_segment_ids(doubled, "round1") == sample_segment_ids(again, "round1")
    with pytest.raises(QualcodeError, match="exists already"):
        create_sample(doubled, "round1", 0.5)
    with pytest.raises(QualcodeError, match="cannot stratify by 'coder'"):
        create_sample(doubled, "round2", 0.5, ["coder"])
    whole = create_sample(doubled, "docs", 1.0, unit="document")
    assert whole.segments == 4
    limited = agreement_report(doubled, sample="round1", ci=False)
    assert limited["n_segments_reviewed"] <= 2


def test_codings_import(project: Project, tmp_path: Path) -> None:
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    (tmp_path / "t.txt").write_text(TEXT)
    ingest_paths(project, [tmp_path / "t.txt"])
    good = tmp_path / "codings.csv"
    good.write_text(
        "coder,document,segment,code,decision\n"
        "ann,t.txt,0,physical_safety,add\n"
        "ann,t.txt,1,,reviewed\n"
        "ben,t.txt,0,safety,add\n"
        "ben,t.txt,1,justice_system,add\n"
    )
    result = import_codings(project, good)
    assert (result.events, result.reviews, result.coders) == (3, 1, ["ann", "ben"])
    report = agreement_report(project, ci=False)
    assert report["n_units"] == 2
    assert report["per_code"]["safety"]["cohen_kappa"] == pytest.approx(0.0)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "coder,document,segment,code,decision\nann,t.txt,2,safety,add\nann,nope.txt,0,safety,add\n"
    )
    with pytest.raises(InputError, match=r"bad.csv: line 3: no segment 0 in document 'nope.txt'"):
        import_codings(project, bad)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("coder,document,segment,code,decision\nann,t.txt,2,nocode,add\n")
    with pytest.raises(InputError, match="'nocode' is not a codable code"):
        import_codings(project, unknown)
    missing = tmp_path / "missing.csv"
    missing.write_text("coder,document,segment,code\n")
    with pytest.raises(InputError, match="missing column 'decision'"):
        import_codings(project, missing)
    assert rows(project, "SELECT count(*) FROM coding_events") == [(3,)]


def test_cli_agreement_json_keys(doubled: Project) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qualcode.cli", "--db", str(doubled.path), "agreement", "--json"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"unit", "n_units", "coders", "overall", "per_code"} <= set(report)
    assert {
        "percent_agreement",
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
        "ci95",
    } <= set(report["overall"])
    assert set(report["per_code"]["safety"]) >= {
        "n_units",
        "prevalence",
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
    }


def test_cli_agreement_table(tmp_path: Path) -> None:
    table = REFERENCE / "agreement" / "krippendorff2004_nominal_2obs_12units.long.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qualcode.cli",
            "--db",
            str(tmp_path / "none.duckdb"),
            "agreement",
            "--table",
            str(table),
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_coders"] == 2


def test_agreement_subcommands_match_the_earlier_flags(doubled: Project) -> None:
    """`agreement report | disagreements | table` say what `agreement`, `agreement
    --disagreements` and `agreement --table` said (both spellings kept)."""
    from typer.testing import CliRunner

    from qualcode.cli import app

    table = REFERENCE / "agreement" / "krippendorff2004_nominal_2obs_12units.long.csv"
    db = ["--db", str(doubled.path), "agreement"]
    pairs = [
        ([], ["report"]),
        (
            ["--coders", "alice,bob", "--by", "location", "--no-ci"],
            ["report", "--coders", "alice,bob"],
        ),
        (["--disagreements"], ["disagreements"]),
        (["--disagreements", "--code", "safety"], ["disagreements", "--code", "safety"]),
        (
            ["--table", str(table), "--level", "nominal"],
            ["table", str(table), "--level", "nominal"],
        ),
    ]
    runner = CliRunner()
    for earlier, now in pairs:
        if "--by" in earlier:
            now = [*now, "--by", "location", "--no-ci"]
        for as_json in ([], ["--json"]):
            before = runner.invoke(app, [*db, *earlier, *as_json])
            after = runner.invoke(app, [*db, *now, *as_json])
            assert before.exit_code == after.exit_code == 0, (earlier, before.output)
            assert before.stdout == after.stdout and before.stdout.strip()
    disagreements = json.loads(runner.invoke(app, [*db, "disagreements", "--json"]).stdout)
    assert disagreements["disagreements"]  # the doubled project has some to list
    assert (
        json.loads(runner.invoke(app, [*db, "table", str(table), "--json"]).stdout)["n_coders"] == 2
    )


def test_joint_absence_share_of_percent_agreement(doubled: Project) -> None:
    import numpy as np

    from qualcode.agreement import joint_absence_share

    report = agreement_report(doubled, ci=False)
    # agreeing (segment, code) pairs: s1 safety present; s1 legal, s2 legal, s3 safety
    # absent; s3 legal present: 3 of the 5 agreements are joint absences
    assert report["overall"]["joint_absence_share"] == pytest.approx(0.6)
    assert "percent agreement runs high" in report["definitions"]["joint_absence_share"]
    printed = subprocess.run(
        [sys.executable, "-m", "qualcode.cli", "--db", str(doubled.path), "agreement"],
        capture_output=True,
        text=True,
    )
    assert "60% of percent agreement is joint absences" in printed.stdout, printed.stderr
    # three coders: unit 1 rated 1 0 0 (absent pairs 2, weight 1/2), unit 2 rated 1 1 -
    # (present pairs 2, weight 1): 1 / (1 + 2)
    values = np.array([[[1.0], [1.0]], [[0.0], [1.0]], [[0.0], [np.nan]]])
    assert joint_absence_share(values) == pytest.approx(1 / 3)
    assert joint_absence_share(np.array([[[1.0]], [[0.0]]])) is None  # no agreement at all


def test_next_open_disagreement_after_a_settlement() -> None:
    from qualcode.agreement import Disagreement, next_open

    def d(segment: int, settled: str | None = None) -> Disagreement:
        return Disagreement(segment, "safety", "t", segment, None, "", {}, settled=settled)

    found = [d(1), d(2, "present"), d(3), d(4)]
    assert next_open(found) == 0
    assert next_open(found, (1, "safety")) == 2  # the settled one between is passed
    assert next_open(found, (4, "safety")) == 0  # wraps round
    assert next_open(found, (9, "other")) == 0  # not in the list: from the start
    assert next_open([d(1, "absent"), d(2, "present")], (1, "safety")) is None
    assert next_open([]) is None
