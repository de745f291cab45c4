"""`keras = "auto"` from what a project declares (RULES.md, Versions): a requirement decides by the
versions it admits, each declaration style is read, and contradictions or unpinned declarations
leave the version unknown. Nothing here imports TensorFlow or Keras."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from regcheck.config.keras_target import resolve

UNDECIDED = "auto: no dependency declaration decides the Keras version"


def _resolve(tmp_path: Path, files: dict[str, str]) -> tuple[str, str]:
    (tmp_path / ".git").mkdir()  # the upward search for declarations stops here
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    target = resolve("auto", tmp_path)
    return target.version, target.reason


# The pins the issue names, and their neighbours: each decides by the interval it admits.
PINS = [
    ("keras==2.3.1", "2"),
    ("tensorflow==1.15.4", "2"),
    ("tensorflow~=2.14.0", "2"),
    ("tensorflow==2.0.0", "2"),
    ("tensorflow-gpu==1.15.4", "2"),
    ("tensorflow-gpu>=1.13,<2", "2"),
    ("tensorflow==2.15.*", "2"),
    ("tensorflow<=2.15.1", "2"),
    ("tensorflow==2.16.0rc0", "3"),  # 2.16's pre-releases already ship Keras 3
    ("tensorflow>=2.16", "3"),
    ("tensorflow~=2.16", "3"),
    ("keras>=3", "3"),
    ("keras~=3.3", "3"),
    ("keras<3", "2"),
    ("tf-keras", "2"),
    ("tf_keras==2.17.0", "2"),
    ("tensorflow==1.15.4 --hash=sha256:0123", "2"),
    ("tensorflow[and-cuda]==2.15.1 ; sys_platform == 'linux'", "2"),
]


@pytest.mark.parametrize("pin, version", PINS)
def test_a_pin_decides_by_the_versions_it_admits(tmp_path: Path, pin: str, version: str) -> None:
    shown = pin.split(" ;")[0].split(" --")[0]  # the reason names the requirement, without marker or options
    assert _resolve(tmp_path, {"requirements.txt": f"numpy\n{pin}\n"}) == (version, f"auto: requirements.txt: {shown}")


@pytest.mark.parametrize(
    "pin",
    [
        "tensorflow",  # unpinned
        "tensorflow>=2.10",  # admits 2.15 and 2.16
        "tensorflow~=2.15",  # ~=2.15 is >=2.15,<3: 2.16 too
        "tensorflow>2.15",  # 2.15.1 and 2.16
        "tensorflow!=2.16.0",
        "keras",
        "keras>=2.4",
        "tensorflow @ https://example.org/tensorflow-2.15.0-cp310-none-any.whl",  # a URL: no version to read
        "tensorflow>=2.16,<2.16",  # admits nothing
    ],
)
def test_a_pin_that_admits_both_sides_or_none_decides_nothing(tmp_path: Path, pin: str) -> None:
    assert _resolve(tmp_path, {"requirements.txt": f"{pin}\n"}) == ("unknown", UNDECIDED)


STYLES = [
    (
        "dependency-groups",
        {"pyproject.toml": '[project]\nname = "p"\n[dependency-groups]\ntrain = ["tensorflow==1.15.4"]\n'},
        ("2", "auto: pyproject.toml: tensorflow==1.15.4"),
    ),
    (
        "poetry caret",
        {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.8"\ntensorflow = "^2.4"\nkeras = "2.3.1"\n'},
        ("2", "auto: pyproject.toml: keras = '2.3.1'"),
    ),
    (
        "poetry table and group",
        {
            "pyproject.toml": """\
                [tool.poetry.dependencies]
                python = "^3.10"
                [tool.poetry.group.ml.dependencies]
                tensorflow = {version = "~2.16", extras = ["and-cuda"]}
                """
        },
        ("3", "auto: pyproject.toml: tensorflow = '~2.16'"),
    ),
    (
        "poetry tilde",
        {"pyproject.toml": '[tool.poetry.dependencies]\ntensorflow = "~2.14"\n'},
        ("2", "auto: pyproject.toml: tensorflow = '~2.14'"),
    ),
    (
        "poetry alternatives",
        {"pyproject.toml": '[tool.poetry.dependencies]\ntensorflow = "^1.15 || ^2.0"\n'},
        ("unknown", UNDECIDED),
    ),
    (
        "poetry multiple constraints",
        {
            "pyproject.toml": """\
                [tool.poetry.dependencies]
                tensorflow = [
                    {version = "<2.16", python = "<3.9"},
                    {version = ">=2.16", python = ">=3.9"},
                ]
                """
        },
        ("unknown", UNDECIDED),
    ),
    (
        "pipfile",
        {"Pipfile": '[packages]\nnumpy = "*"\ntensorflow = "==2.0.0"\n[dev-packages]\npytest = "*"\n'},
        ("2", "auto: Pipfile: tensorflow = '==2.0.0'"),
    ),
    (
        "pipfile table",
        {"Pipfile": '[packages]\nkeras = {version = ">=3.0", index = "pypi"}\n'},
        ("3", "auto: Pipfile: keras = '>=3.0'"),
    ),
    (
        "pipfile any",
        {"Pipfile": '[packages]\ntensorflow = "*"\n'},
        ("unknown", UNDECIDED),
    ),
    (
        "requirements -r",
        {"requirements.txt": "-r requirements/base.txt\n", "requirements/base.txt": "keras==2.3.1\n"},
        ("2", "auto: requirements/base.txt: keras==2.3.1"),
    ),
    (
        "requirements -c",
        {"requirements.txt": "tensorflow\n-c constraints.txt\n", "constraints.txt": "tensorflow==2.15.1\n"},
        ("2", "auto: constraints.txt: tensorflow==2.15.1"),
    ),
    (
        "requirements --constraint=",
        {"requirements-dev.txt": "--constraint=pins.txt\n", "pins.txt": "tensorflow==2.17.0\n"},
        ("3", "auto: pins.txt: tensorflow==2.17.0"),
    ),
    (
        "environment.yml conda",
        {"environment.yml": "name: e\ndependencies:\n  - python=3.7\n  - tensorflow-gpu=1.15\n"},
        ("2", "auto: environment.yml: tensorflow-gpu==1.15.*"),
    ),
    (
        "environment.yml pip",
        {"environment.yml": "name: e\ndependencies:\n  - pip\n  - pip:\n    - keras==2.3.1\n"},
        ("2", "auto: environment.yml: keras==2.3.1"),
    ),
    (
        "setup.cfg",
        {"setup.cfg": "[options]\ninstall_requires =\n    tensorflow~=2.14.0\n"},
        ("2", "auto: setup.cfg: tensorflow~=2.14.0"),
    ),
]


@pytest.mark.parametrize("files, expected", [s[1:] for s in STYLES], ids=[s[0] for s in STYLES])
def test_each_declaration_style(tmp_path: Path, files: dict[str, str], expected: tuple[str, str]) -> None:
    assert _resolve(tmp_path, files) == expected


def test_declarations_that_agree_decide(tmp_path: Path) -> None:
    files = {"requirements.txt": "tensorflow==2.15.1\nkeras<3\n", "Pipfile": '[packages]\ntensorflow = "~=2.14.0"\n'}
    assert _resolve(tmp_path, files) == ("2", "auto: requirements.txt: tensorflow==2.15.1")


def test_contradictory_declarations_decide_nothing(tmp_path: Path) -> None:
    files = {"requirements.txt": "tensorflow==2.15.1\n", "environment.yml": "dependencies:\n  - pip:\n    - keras>=3\n"}
    assert _resolve(tmp_path, files) == (
        "unknown",
        "auto: the declarations disagree (requirements.txt: tensorflow==2.15.1 (Keras 2), "
        "environment.yml: keras>=3 (Keras 3))",
    )


def test_tf_keras_decides_over_a_keras_3_tensorflow(tmp_path: Path) -> None:
    # tf.keras loads tf-keras when it is installed (TF_USE_LEGACY_KERAS=1 is the documented pairing).
    files = {"requirements.txt": "tensorflow>=2.16\ntf-keras~=2.16\n"}
    assert _resolve(tmp_path, files) == ("2", "auto: requirements.txt: tf-keras~=2.16")


def test_nothing_declared_is_unknown(tmp_path: Path) -> None:
    assert _resolve(tmp_path, {"train.py": "import tensorflow as tf\n"}) == ("unknown", UNDECIDED)


def test_unreadable_declarations_decide_nothing(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[project\nbroken",
        "Pipfile": "not toml [",
        "requirements.txt": "tensorflow==not.a.version\n",
    }
    assert _resolve(tmp_path, files) == ("unknown", UNDECIDED)
