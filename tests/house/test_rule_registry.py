"""One rule is one module plus one page: the catalogue, the graph codes and the README
table follow from the rule classes, and every rule has its check, page, samples and row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from regcheck.checks import ALL_CHECKS, RULE_CLASSES, checks_for
from regcheck.checks.base import Check
from regcheck.config.catalog import RULES, CatalogError, declared_rules

REPO = Path(__file__).resolve().parents[2]
_ROW = re.compile(r"^\| (RC\d{3}) \| ([a-z0-9-]+) \|", re.M)
# A row of the README's rule table: code, name, severity, what goes wrong.
_SEVERITY_ROW = re.compile(r"^\| (RC\d{3}) \| [a-z0-9-]+ \| ([a-z]+) \| [^|]+ \|$", re.M)
# The classes that declare a rule (the others with the same code are its parts).
DECLARING = [cls for cls in RULE_CLASSES if "name" in vars(cls)]
IMPLEMENTED = sorted({cls.code for cls in RULE_CLASSES})


def _readme_rows() -> dict[str, str]:
    return dict(_ROW.findall((REPO / "README.md").read_text(encoding="utf-8")))


def test_catalogue_is_what_the_classes_declare() -> None:
    for cls in DECLARING:
        info = RULES[cls.code]
        declared = (cls.code, cls.name, str(cls.severity), cls.summary, cls.fix_safety, cls.graph)
        assert declared == (info.code, info.name, str(info.severity), info.summary, info.fix_safety, info.graph)
        assert info.module == cls.__module__.rsplit(".", 1)[1]


def test_a_rule_module_is_named_by_its_code_and_name() -> None:
    for cls in DECLARING:
        assert cls.__module__ == f"regcheck.checks.rc{cls.code[2:]}_{cls.name.replace('-', '_')}"


def test_every_code_is_declared_once() -> None:
    codes = [cls.code for cls in DECLARING]
    assert len(codes) == len(set(codes)), "a code declared by two classes"


def test_every_code_has_a_declaring_class() -> None:
    assert set(RULES) == set(IMPLEMENTED) == {cls.code for cls in DECLARING}


def test_every_code_with_samples_has_a_check_that_runs() -> None:
    for code in IMPLEMENTED:
        classes = [cls for cls in RULE_CLASSES if cls.code == code]
        if code in ("RC000", "RC001", "RC002"):  # reported by the pipeline (reading, parsing, suppressing)
            assert not any(issubclass(cls, Check) for cls in classes)
            continue
        assert checks_for(frozenset({code})), f"{code} has no check"
        assert all(cls.VALID and cls.INVALID for cls in checks_for(frozenset({code})))


@pytest.mark.parametrize("code", IMPLEMENTED)
def test_every_rule_has_a_page(code: str) -> None:
    page = REPO / "rules" / f"{code}.md"
    assert page.is_file(), f"{code} has no page rules/{code}.md"
    assert page.read_text(encoding="utf-8").startswith(f"# {code}: {RULES[code].name}\n")


@pytest.mark.parametrize("code", sorted(set(IMPLEMENTED) | set(RULES)))
def test_every_rule_has_a_readme_row(code: str) -> None:
    assert _readme_rows().get(code) == RULES[code].name


def test_readme_rows_give_each_rules_severity() -> None:
    severities = dict(_SEVERITY_ROW.findall((REPO / "README.md").read_text(encoding="utf-8")))
    assert severities == {code: str(info.severity) for code, info in RULES.items()}


def test_readme_rows_name_known_rules_in_code_order() -> None:
    rows = _readme_rows()
    assert all(RULES[code].name == name for code, name in rows.items())
    assert list(rows) == sorted(rows)


def test_graph_codes_are_the_rules_the_graph_reports() -> None:
    from regcheck.graph.merge import GRAPH_CODES

    # The rule catalogue, "Graph findings": the codes `regcheck trace` reports.
    assert {
        "RC101",
        "RC102",
        "RC103",
        "RC104",
        "RC106",
        "RC201",
        "RC202",
        "RC207",
        "RC208",
        "RC305",
        "RC501",
    } == GRAPH_CODES


def test_discovery_finds_every_check_class_in_code_order() -> None:
    import importlib
    import pkgutil

    import regcheck.checks as package

    expected = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"regcheck.checks.{info.name}")
        for value in vars(module).values():
            own = isinstance(value, type) and value.__module__ == module.__name__
            if own and issubclass(value, Check) and "code" in vars(value):
                expected.add(value)
    assert set(ALL_CHECKS) == expected
    assert [c.code for c in ALL_CHECKS] == sorted(c.code for c in ALL_CHECKS)


def test_declared_rules_reads_literals_and_refuses_the_rest(tmp_path: Path) -> None:
    (tmp_path / "rc901_some_rule.py").write_text(
        "class SomeRule(Check):\n"
        '    code = "RC901"\n'
        '    name = "some-rule"\n'
        '    severity = "info"\n'
        '    summary = "a rule\'s summary"\n'
        '    fix_safety = "safe"\n'
        "    graph: ClassVar[bool] = True\n"
        "\n"
        "    def run(self, facts):\n"
        '        name = "not metadata: a local"\n'
        "\n"
        "class Part(Check):\n"
        '    code = "RC901"\n',
        encoding="utf-8",
    )
    [info] = declared_rules(tmp_path)
    assert (info.code, info.name, str(info.severity), info.summary, info.fix_safety, info.graph, info.module) == (
        "RC901", "some-rule", "info", "a rule's summary", "safe", True, "rc901_some_rule",
    )  # fmt: skip
    (tmp_path / "rc902_bad.py").write_text(
        'class Bad(Check):\n    code = "RC902"\n    name = "bad"\n    severity = SEVERITY\n    summary = "s"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match=r"rc902_bad\.py, class Bad: severity must be a one-line literal"):
        declared_rules(tmp_path)
