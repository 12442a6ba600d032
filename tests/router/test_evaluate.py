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


def test_evaluator_reports_slices_confusion_and_a_learning_curve(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    rows = [json.loads(line) for line in (DATA / "own_complaints.jsonl").read_text(encoding="utf-8").splitlines()][:30]
    for i, r in enumerate(rows):
        r["in_catalog"] = r["department"] != "center" or r["financial_service"]
        r["confidence"] = "sure" if i % 3 else "unsure"
    rows[1]["text"] += "。" + "等了很久，一直没有消息" * 20  # one long message
    rows[0]["department"] = "ndrc" if rows[0]["department"] != "ndrc" else "tax"  # one certain misplacement
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert main([str(src), "--learn", "0", "5", "10"]) == 0
    printed = capsys.readouterr().out
    for slice_name in ("in catalog, sure", "not in catalog", "sure labels", "financial service", "long (", "short ("):
        assert slice_name in printed
    assert "most frequent misplacements" in printed and f"{rows[0]['department']} ->" in printed
    curve = [line for line in printed.splitlines() if line.strip().startswith("K=")]
    assert [line.split()[0] for line in curve] == ["K=0", "K=5", "K=10"]
    assert "rest n=30" in curve[0] and "rest n=25" in curve[1] and "rest n=20" in curve[2]


def test_learning_curve_needs_lines_left_to_score(tmp_path):
    import pytest

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "title": "发票", "text": "开不了发票", "department": "tax"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main([str(src), "--learn", "1"])
