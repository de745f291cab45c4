"""The `keras` target: `auto` read from each declaration style, explicit values, the CLI flag,
and the file's own imports overriding it. Nothing here imports TensorFlow or Keras."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, write_project

from regcheck import check_source
from regcheck.config.keras_target import decide, parse_requirement, resolve
from regcheck.config.settings import ConfigError, Overrides, load_settings

DECLARATIONS = [
    # (files, expected version, the requirement that decided)
    (
        {"pyproject.toml": '[project]\nname = "p"\ndependencies = ["tensorflow>=2.16", "numpy"]\n'},
        "3",
        "pyproject.toml: tensorflow>=2.16",
    ),
    (
        {
            "pyproject.toml": '[project]\nname = "p"\ndependencies = ["tensorflow>=2.16"]\n[project.optional-dependencies]\nlegacy = ["tf-keras~=2.16"]\n'
        },
        "2",
        "pyproject.toml: tf-keras~=2.16",
    ),
    ({"pyproject.toml": '[project]\nname = "p"\ndependencies = ["keras>=3.0"]\n'}, "3", "pyproject.toml: keras>=3.0"),
    (
        {
            "pyproject.toml": '[project]\nname = "p"\ndependencies = ["tensorflow-cpu<2.16; sys_platform == \'linux\'"]\n'
        },
        "2",
        "pyproject.toml: tensorflow-cpu<2.16",
    ),
    ({"requirements.txt": "numpy\ntensorflow==2.15.1  # pinned\n"}, "2", "requirements.txt: tensorflow==2.15.1"),
    (
        {"requirements-dev.txt": "-r requirements/base.txt\n", "requirements/base.txt": "Keras < 3\n"},
        "2",
        "requirements/base.txt: Keras < 3",
    ),
    ({"requirements.txt": "tensorflow==2.17.0\ntf_keras==2.17.0\n"}, "2", "requirements.txt: tf_keras==2.17.0"),
    (
        {"setup.cfg": "[metadata]\nname = p\n[options]\ninstall_requires =\n    numpy\n    tensorflow>=2.16.1\n"},
        "3",
        "setup.cfg: tensorflow>=2.16.1",
    ),
    (
        {
            "setup.py": 'from setuptools import setup\nREQS = ["tensorflow>=2.4,<2.11"]\nsetup(name="p", install_requires=REQS)\n'
        },
        "2",
        "setup.py: tensorflow>=2.4,<2.11",
    ),
    (
        {"setup.py": 'from setuptools import setup\nsetup(name="p", extras_require={"tf": ["keras>=3.3"]})\n'},
        "3",
        "setup.py: keras>=3.3",
    ),
    (
        {"environment.yml": "name: e\nchannels: [conda-forge]\ndependencies:\n  - python=3.10\n  - tensorflow=2.15\n"},
        "2",
        "environment.yml: tensorflow==2.15.*",
    ),
    (
        {"environment.yml": "name: e\ndependencies:\n  - numpy\n  - pip:\n    - tensorflow>=2.16\n"},
        "3",
        "environment.yml: tensorflow>=2.16",
    ),
]


@pytest.mark.parametrize("files, version, decided", DECLARATIONS, ids=[str(i) for i in range(len(DECLARATIONS))])
def test_auto_reads_each_declaration_style(tmp_path: Path, files: dict[str, str], version: str, decided: str) -> None:
    root = write_project(tmp_path, files)
    target = resolve("auto", root)
    assert (target.version, target.reason) == (version, f"auto: {decided}")


@pytest.mark.parametrize(
    "files",
    [
        {},  # declares nothing
        {"requirements.txt": "tensorflow\nnumpy\n"},  # unpinned: no side of the boundary
        {"pyproject.toml": '[project]\nname = "p"\ndependencies = ["tensorflow>=2.10"]\n'},  # admits both
        {"setup.py": "from setuptools import setup\nsetup(install_requires=compute())\n"},  # not literal
    ],
)
def test_auto_finds_nothing_that_decides(tmp_path: Path, files: dict[str, str]) -> None:
    (tmp_path / ".git").mkdir()  # stop the upward search here
    target = resolve("auto", write_project(tmp_path, files))
    assert (target.version, target.reason) == ("unknown", "auto: no dependency declaration decides the Keras version")


def test_auto_finds_the_declarations_above_a_subdirectory(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"requirements.txt": "tf-keras\n", "src/pkg/train.py": "import tensorflow\n"})
    assert resolve("auto", root / "src" / "pkg" / "train.py").version == "2"


def test_requirement_parsing() -> None:
    req = parse_requirement("TensorFlow_CPU [and-cuda] >= 2.16 ; python_version >= '3.9'  # comment", "r.txt")
    assert req is not None and (req.name, req.specifier) == ("tensorflow-cpu", ">=2.16")
    assert parse_requirement("-e .", "r.txt") is None
    assert parse_requirement("# only a comment", "r.txt") is None
    # tf-keras wins over a Keras 3 TensorFlow: tf.keras loads it (TF_USE_LEGACY_KERAS=1 is the documented pairing).
    reqs = [parse_requirement(t, "r.txt") for t in ("tensorflow>=2.16", "tf-keras")]
    decision = decide([r for r in reqs if r is not None])
    assert (decision.version, decision.reason) == ("2", "auto: r.txt: tf-keras")


def test_config_key_and_cli_override(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {"pyproject.toml": '[project]\nname = "p"\ndependencies = ["tensorflow<2.16"]\n[tool.regcheck]\nkeras = "3"\n'},
    )
    settings = load_settings(tmp_path)
    assert (settings.keras, settings.keras_version) == ("3", "3")
    assert settings.keras_reason == f"set in {tmp_path / 'pyproject.toml'}"
    settings = load_settings(tmp_path, overrides=Overrides(keras="auto"))
    assert (settings.keras, settings.keras_version) == ("auto", "2")
    assert load_settings(tmp_path, overrides=Overrides(keras="2")).keras_reason == "set in --keras"
    assert (
        load_settings(tmp_path).fingerprint() != load_settings(tmp_path, overrides=Overrides(keras="2")).fingerprint()
    )


def test_bad_keras_value_is_a_config_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"regcheck.toml": 'keras = "4"\n'})
    with pytest.raises(ConfigError, match="keras must be one of 'auto', '3', '2'"):
        load_settings(tmp_path)


# A verdict that depends on the version: RC601 leaves the lowercase `l2` alone under Keras 2
# (older tf.keras has no `L2`), and flags it under Keras 3.
LOWERCASE_L2 = "import tensorflow as tf\nreg = tf.keras.regularizers.l2(0.01)\n"


def test_cli_flag_and_declarations_change_findings(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(LOWERCASE_L2, encoding="utf-8")
    args = ["--no-cache", "--select", "RC601", "--output-format", "json", str(tmp_path / "train.py")]
    code, out, _ = run_cli(*args)
    assert json.loads(out)["findings"] == []  # nothing declared: unknown, and `l2` exists in both
    code, out, _ = run_cli("--keras", "3", *args)
    findings = json.loads(out)["findings"]
    assert [(f["code"], f["keras"], f["keras_reason"]) for f in findings] == [("RC601", "3", "project target")]
    code, out, _ = run_cli("--keras", "2", *args)
    assert json.loads(out)["findings"] == []
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.0\n", encoding="utf-8")
    code, out, _ = run_cli(*args)
    assert code == 0
    assert json.loads(out)["findings"] == []
    _code, out, _ = run_cli("--keras", "3", *args)
    assert [f["keras"] for f in json.loads(out)["findings"]] == ["3"]


def test_findings_that_do_not_depend_on_the_version_carry_no_keras_field() -> None:
    source = "import tensorflow as tf\nimport numpy as np\nw = tf.Variable(np.eye(w.shape))\n"
    findings = check_source(source, select=["RC402"])
    assert findings and all(f.keras is None and "keras" not in f.to_json() for f in findings)


# --- the file's own imports override the target -------------------------------------------

FILE_OVERRIDES = [
    ("import tf_keras as keras\nreg = keras.regularizers.l2(0.01)\n", "2"),
    ("from tf_keras import regularizers\nreg = regularizers.l2(0.01)\n", "2"),
    (
        'import os\nos.environ["TF_USE_LEGACY_KERAS"] = "1"\nimport tensorflow as tf\nreg = tf.keras.regularizers.l2(0.01)\n',
        "2",
    ),
    (
        'import os\nos.environ.setdefault("TF_USE_LEGACY_KERAS", "True")\nimport tensorflow as tf\nreg = tf.keras.regularizers.l2(0.01)\n',
        "2",
    ),
    (
        'import os\nos.environ["TF_USE_LEGACY_KERAS"] = "0"\nimport tensorflow as tf\nreg = tf.keras.regularizers.l2(0.01)\n',
        "3",
    ),
]


@pytest.mark.parametrize("source, version", FILE_OVERRIDES)
@pytest.mark.parametrize("target", ["3", "2"])
def test_file_imports_override_the_target(source: str, version: str, target: str) -> None:
    findings = check_source(source, select=["RC601"], keras=target)
    assert [f.keras for f in findings] == (["3"] if version == "3" else [])


def test_compat_v1_file_is_tf1_and_keeps_the_target() -> None:
    import libcst as cst

    from regcheck.facts import build_facts
    from regcheck.facts.keras_version import file_keras

    source = "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\nx = tf.placeholder(tf.float32)\n"
    facts = build_facts("t.py", source, cst.parse_module(source))
    facts.keras_target = "2"
    assert (file_keras(facts).tf1, facts.keras_version) == (True, "2")
    plain = "import tensorflow as tf\nx = tf.ones(3)\n"
    facts = build_facts("t.py", plain, cst.parse_module(plain))
    assert (file_keras(facts).tf1, facts.keras_version) == (False, "unknown")
