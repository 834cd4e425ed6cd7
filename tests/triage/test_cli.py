from __future__ import annotations

import json

from typer.testing import CliRunner

from civicdesk.cli import app
from tests.triage import synthetic

runner = CliRunner()


def test_train_then_evaluate_json(tmp_path):
    data = synthetic.write(tmp_path / "train.csv")
    model = tmp_path / "m.npz"
    result = runner.invoke(app, ["triage", "train", "--data", str(data), "--out", str(model)])
    assert result.exit_code == 0, result.output
    assert "version=tm-" in result.output
    result = runner.invoke(
        app, ["triage", "evaluate", "--model", str(model), "--data", str(data), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"per_class", "macro_f1", "accuracy", "remit_f1"} <= set(report)
    assert report["remit_f1"] is not None  # the labels are categories of the configuration
    assert report["per_class"]["违法停车"]["support"] == 32


def test_cross_validation_runs_the_baseline_beside(tmp_path):
    data = synthetic.write(tmp_path / "train.csv")
    result = runner.invoke(app, ["triage", "evaluate", "--cv", "3", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "baseline" in result.output and "remit F1" in result.output


def test_other_label_schemes_have_no_remit(tmp_path):
    path = tmp_path / "dept.csv"
    rows = synthetic.rows()
    lines = ["mid,title,detail,label"] + [
        f"{r['mid']},{r['title']},{r['detail']},{'甲' if i % 2 else '乙'}"
        for i, r in enumerate(rows)
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "triage",
            "evaluate",
            "--cv",
            "2",
            "--data",
            str(path),
            "--label-column",
            "label",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["remit_f1"] is None


def test_evaluate_needs_a_model_or_folds(tmp_path):
    data = synthetic.write(tmp_path / "train.csv")
    result = runner.invoke(app, ["triage", "evaluate", "--data", str(data)])
    assert result.exit_code != 0
