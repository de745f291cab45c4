"""Every check's VALID samples stay quiet and its INVALID samples fire (Fixit style)."""

from __future__ import annotations

import textwrap

import pytest

from regcheck import check_source
from regcheck.checks import ALL_CHECKS
from regcheck.fix import fix_text, parses

VALID = [(c, i, s) for c in ALL_CHECKS for i, s in enumerate(c.VALID)]
INVALID = [(c, i, s) for c in ALL_CHECKS for i, s in enumerate(c.INVALID)]


def _id(case: tuple) -> str:
    return f"{case[0].code}-{case[1]}"


def test_every_check_has_cases() -> None:
    for check in ALL_CHECKS:
        assert check.VALID and check.INVALID, f"{check.code} needs VALID and INVALID samples"


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_valid_is_quiet(case: tuple) -> None:
    check, _, source = case
    findings = check_source(textwrap.dedent(source), select=[check.code])
    assert [f for f in findings if f.code == check.code] == []


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_invalid_fires(case: tuple) -> None:
    check, _, source = case
    findings = check_source(textwrap.dedent(source), select=[check.code])
    assert check.code in [f.code for f in findings]


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_fixed_code_parses_rechecks_clean_and_is_idempotent(case: tuple) -> None:
    check, _, source = case
    source = textwrap.dedent(source)

    def lint(text: str) -> list:
        return check_source(text, select=[check.code])

    result = fix_text(source, lint, unsafe=True)
    assert parses(result.text)
    fixable_left = [f for f in lint(result.text) if f.fix is not None]
    assert not fixable_left, "after fixing, nothing fixable may remain"
    if result.applied:
        assert [f for f in lint(result.text) if f.code == check.code] == [] or result.remaining
    assert fix_text(result.text, lint, unsafe=True).text == result.text
