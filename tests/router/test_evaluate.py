"""The batch evaluator as a user runs it: one prediction per input line, figures only when the input is labeled."""

import json

from services.router.evaluate import main

from .conftest import DATA


def test_evaluator_writes_one_prediction_per_line(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    rows = [json.loads(line) for line in (DATA / "own_complaints.jsonl").read_text(encoding="utf-8").splitlines()][:12]
    unlabeled = {"id": "u-1", "title": "停电", "text": "厂里停电了", "extra": "ignored"}
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows + [unlabeled]) + "\n", encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    assert main([str(src), "--output", str(out), "--prequential"]) == 0
    preds = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == [r["id"] for r in rows] + ["u-1"]
    for p in preds:
        assert set(p) == {"id", "department", "also", "financial_service", "confidence", "triage"}
    printed = capsys.readouterr().out
    assert "top1_accuracy_placed" in printed and "fs_f1" in printed and "prequential" in printed


def test_evaluator_without_labels_prints_no_figures(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "title": "发票", "text": "开不了发票"}, ensure_ascii=False) + "\n")
    assert main([str(src)]) == 0
    assert "top1" not in capsys.readouterr().out
