"""Every rule's VALID samples stay quiet and its INVALID samples fire (Fixit style).

An INVALID sample that is an ``Invalid(...)`` also says where the rule fires and
what the fixed text is; both are asserted exactly.
"""

from __future__ import annotations

import textwrap

import pytest

from regcheck import check_source
from regcheck.checks import RULE_CLASSES
from regcheck.checks.base import Invalid, Rule
from regcheck.findings import Finding
from regcheck.fixing.apply import fix_text, parses

# Checks, and the homes of codes the pipeline reports itself (RC000) that keep samples.
SAMPLED: list[type[Rule]] = [c for c in RULE_CLASSES if getattr(c, "VALID", None) or getattr(c, "INVALID", None)]
VALID = [(c, i, s) for c in SAMPLED for i, s in enumerate(getattr(c, "VALID", []))]
INVALID = [(c, i, s) for c in SAMPLED for i, s in enumerate(getattr(c, "INVALID", []))]


def _id(case: tuple[type[Rule], int, str]) -> str:
    return f"{case[0].code}-{case[0].__name__}-{case[1]}"


def _lint(code: str, text: str) -> list[Finding]:
    return [f for f in check_source(text, select=[code]) if f.code == code]


def test_every_check_has_cases() -> None:
    from regcheck.checks import ALL_CHECKS

    for check in ALL_CHECKS:
        assert check.VALID and check.INVALID, f"{check.code} ({check.__name__}) needs VALID and INVALID samples"


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_valid_is_quiet(case: tuple[type[Rule], int, str]) -> None:
    check, _, source = case
    assert _lint(check.code, textwrap.dedent(source)) == []


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_invalid_fires(case: tuple[type[Rule], int, str]) -> None:
    check, _, source = case
    findings = _lint(check.code, textwrap.dedent(source))
    assert findings, f"{check.code} does not fire"
    if isinstance(source, Invalid) and source.line is not None:
        assert source.line in [f.line for f in findings]


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_fixed_code_parses_rechecks_clean_and_is_idempotent(case: tuple[type[Rule], int, str]) -> None:
    check, _, source = case
    text = textwrap.dedent(source)

    def lint(current: str) -> list[Finding]:
        return check_source(current, select=[check.code])

    before = _lint(check.code, text)
    result = fix_text(text, lint, unsafe=True)
    assert parses(result.text) or not parses(text)
    fixable_left = [f for f in lint(result.text) if f.fix is not None]
    assert not fixable_left, "after fixing, nothing fixable may remain"
    after = _lint(check.code, result.text)
    # What a fix leaves of the rule is exactly the findings that had no fix to offer.
    assert len(after) == len([f for f in before if f.fix is None])
    assert fix_text(result.text, lint, unsafe=True).text == result.text
    if isinstance(source, Invalid) and source.fixed is not None:
        assert result.text == textwrap.dedent(source.fixed)


def test_invalid_is_a_sample_with_expectations() -> None:
    sample = Invalid("x = 1\n", line=1, fixed="x = 2\n")
    assert sample == "x = 1\n" and textwrap.dedent(sample) == "x = 1\n"
    assert (sample.line, sample.fixed) == (1, "x = 2\n")
    plain = Invalid("y = 1\n")
    assert (plain.line, plain.fixed) == (None, None)
