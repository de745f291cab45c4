"""The bytes prefilter: which files are worth parsing, decided without parsing them.

Three questions, cheapest first, all on the file's bytes:

1. does it name TensorFlow, Keras or slim at all (:func:`names_tf`)? If not, no
   rule can fire and the file is never parsed;
2. does it contain a trigger word of some selected rule (:func:`wants_parse`)?
   If not, only its syntax is checked (RC000), with CPython's parser;
3. failing that, does a project module it imports, directly or through one more
   import, contain one of the words that also count in imported modules
   (:func:`imports_trigger`)?

Nothing here imports libcst; the checks are imported only to read their trigger words.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regcheck.lint.project import Project

# A file that names none of these cannot contain TF/Keras code worth parsing
# (b"slim" also covers b"tf_slim").
# `from ops import *` is how `tf` reaches many research files: the star-imported module names it.
TF_MARKERS = (b"tensorflow", b"keras", b"slim", b"import *")
# How many imports away a module's words still count for a file (imports_trigger).
IMPORT_LEVELS = 2
# Only a file that mentions this can carry a file-level `# regcheck: noqa`.
FILE_NOQA = re.compile(r"regcheck:\s*noqa", re.IGNORECASE)


def names_tf(data: bytes) -> bool:
    """Does the file name TensorFlow, Keras or slim at all?"""
    return any(marker in data for marker in TF_MARKERS)


@functools.lru_cache(maxsize=64)
def triggers(codes: frozenset[str]) -> tuple[bytes, ...] | None:
    """The selected checks' trigger words, minimal (a word containing another is dropped);
    None when some selected check has none and so must see every TF/Keras file."""
    from regcheck.checks import checks_for

    words: set[bytes] = set()
    for check in checks_for(codes):
        if not check.triggers:
            return None
        words.update(check.triggers)
    minimal = [w for w in words if not any(other != w and other in w for other in words)]
    return tuple(sorted(minimal, key=len))


@functools.lru_cache(maxsize=64)
def import_triggers(codes: frozenset[str]) -> tuple[bytes, ...]:
    """Trigger words of the selected checks that also count in the modules a file imports."""
    from regcheck.checks import checks_for

    return tuple(sorted({word for check in checks_for(codes) for word in check.import_triggers}))


def wants_parse(data: bytes, codes: frozenset[str]) -> bool:
    """TF/Keras is named and some selected rule's trigger word occurs."""
    if not names_tf(data):
        return False
    words = triggers(codes)
    return words is None or any(word in data for word in words)


def imports_trigger(data: bytes, codes: frozenset[str], path: str, project: Project | None) -> bool:
    """The second chance of a file without trigger words: a project module it imports has some, or a
    module that one imports (a training script calls the model module, which passes ``bias_wd=`` to a
    layer helper of a third: the finding is the script's, whatever rules are selected).

    Two levels, not more: in a library every module is a few imports away from one that regularizes."""
    words = import_triggers(codes)
    return bool(words) and project is not None and project.imports_reach(path, data, words, IMPORT_LEVELS)


def imports_tf_trigger(data: bytes, codes: frozenset[str], path: str, project: Project | None) -> bool:
    """The second chance of a file that names no TF/Keras at all (a training script that imports the
    project's model and optimizer builders): a project module it imports names TF and has a selected
    rule's import trigger. Asked in that order, so that a file importing only ordinary modules loads
    no rule and no parser (the pre-commit case)."""
    return (
        project is not None
        and project.imports_reach(path, data, TF_MARKERS, IMPORT_LEVELS)
        and imports_trigger(data, codes, path, project)
    )
