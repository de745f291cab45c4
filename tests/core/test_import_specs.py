"""The prefilter's reading of import statements from bytes (regcheck.run.project._import_specs)."""

from __future__ import annotations

from regcheck.run.project import _import_specs


def test_every_import_form_yields_its_modules() -> None:
    source = b"""
import os, tensorflow as tf
from . import models, blocks as B
from ..core.common import (
    conv_block,
    head as classifier,
)
if True:
    import pkg.sub as alias  # indented imports count too
from x import *
"""
    assert _import_specs(source) == [
        ("", 1),
        ("models", 1),
        ("blocks", 1),
        ("core.common", 2),
        ("core.common.conv_block", 2),
        ("core.common.head", 2),
        ("x", 0),
        ("os", 0),
        ("tensorflow", 0),
        ("pkg.sub", 0),
    ]


def test_text_that_is_not_an_import_statement_yields_nothing() -> None:
    assert _import_specs(b"x = 'import'\nimportant = 1\nfrom_here = 2\n") == []
