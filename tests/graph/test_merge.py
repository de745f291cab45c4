from __future__ import annotations

from regcheck.config.catalog import RULES
from regcheck.findings import Finding
from regcheck.graph.coverage import CoverageRow
from regcheck.graph.merge import merge_findings
from regcheck.graph.trace import GraphResult


def finding(code: str, symbol: str, line: int, source: str = "static") -> Finding:
    info = RULES[code]
    return Finding(code, info.name, info.severity, "train.py", line, 1, line, 10, "m", symbol=symbol, source=source)


def test_confirmed_refuted_and_graph_only_findings():
    static = [finding("RC101", "w_hidden", 5), finding("RC102", "b_out", 8), finding("RC405", "out", 12)]
    graph = GraphResult(
        findings=[finding("RC101", "w_hidden", 5, "graph"), finding("RC103", "sequential/bn/gamma", 9, "graph")],
        coverage=[
            CoverageRow("w_hidden", "(4, 8)", "kernel", "-", "RC101"),
            CoverageRow("b_out", "(2,)", "bias", "-", "unpenalized"),
        ],
    )
    kept, dropped = merge_findings(static, graph)
    by_code = {f.code: f for f in kept}
    assert by_code["RC101"].extra == {"confirmed": True} and by_code["RC101"].source == "static"
    assert by_code["RC101"].to_json()["confirmed"] is True
    assert by_code["RC405"].extra == {}  # the graph does not check this rule
    assert "RC103" in by_code  # found only by the graph
    assert [(f.code, reason) for f, reason in dropped] == [
        ("RC102", "refuted by the graph: 'b_out' bias, penalty -, unpenalized")
    ]


def test_layer_names_match_graph_variable_paths():
    static = [finding("RC104", "dense", 6)]
    graph = [finding("RC104", "sequential/dense/kernel", 30, "graph")]
    kept, dropped = merge_findings(static, graph)
    assert len(kept) == 1 and kept[0].extra["confirmed"] and dropped == []


def test_without_coverage_nothing_is_refuted():
    kept, dropped = merge_findings([finding("RC102", "b_out", 8)], [])
    assert len(kept) == 1 and dropped == []


def test_a_training_steps_defect_is_one_finding_wherever_each_path_points():
    # The static path points at compile (RC501) or at the loss (RC208); the graph at the step (fit, tape.gradient).
    static = [finding("RC501", "AdamW", 6), finding("RC208", "tf.add_n(self.losses)", 19)]
    graph = [
        finding("RC501", "sequential/dense/kernel", 7, "graph"),
        finding("RC208", "custom/dense/kernel", 20, "graph"),
    ]
    kept, dropped = merge_findings(static, graph)
    assert [(f.code, f.line, f.source, f.extra.get("confirmed")) for f in kept] == [
        ("RC501", 6, "static", True),
        ("RC208", 19, "static", True),
    ]
    assert dropped == []


def test_weight_findings_still_match_by_symbol_or_place_only():
    kept, _ = merge_findings([finding("RC102", "b_out", 8)], [finding("RC102", "b_hidden", 3, "graph")])
    assert sorted((f.code, f.symbol) for f in kept) == [("RC102", "b_hidden"), ("RC102", "b_out")]
