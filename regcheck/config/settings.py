"""Settings from ``.regcheck.toml``, ``regcheck.toml`` or ``[tool.regcheck]`` in pyproject.toml, with CLI overrides."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regcheck.config.catalog import BY_NAME, RULES
from regcheck.findings import Severity

if TYPE_CHECKING:
    import pathspec

    from regcheck.config.keras_target import KerasTarget

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KNOWN_KEYS = frozenset(
    {"select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude", "fail-on", "keras"}
)
DEFAULT_SELECT = frozenset(code for code, info in RULES.items() if info.severity >= Severity.WARNING)


class ConfigError(Exception):
    """A problem with settings: reported as one line, exit code 2."""


@dataclass(frozen=True)
class Settings:
    select: frozenset[str] = DEFAULT_SELECT
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None
    # The Keras the code runs on (regcheck.keras_target): the setting as written ("auto", "3",
    # "2"), the version it resolved to ("3", "2", or "unknown" when auto finds nothing that
    # decides; a file's own imports, and for "unknown" its code, may still decide it) and
    # where that came from, for --show-settings.
    keras: str = "auto"
    keras_version: str = "unknown"
    keras_reason: str = "auto: no dependency declaration decides the Keras version"
    # Files of the config file's folder that hold settings too, and are ignored (one file applies per folder).
    ignored_configs: tuple[Path, ...] = ()

    @property
    def config_warnings(self) -> list[str]:
        """One line per configuration file that holds settings and is ignored, for stderr."""
        if self.config_file is None:
            return []
        return [
            f"{ignored} holds settings too, and is ignored: {self.config_file.name} applies "
            f"(in one folder, {' > '.join(CONFIG_FILES)}, as ruff does)"
            for ignored in self.ignored_configs
        ]

    def codes_for(self, path: str) -> frozenset[str]:
        """The selected codes for one file, after per-file-ignores."""
        if not self.per_file_ignores:
            return self.select
        relative = _relative(path, self.root)
        codes = set(self.select)
        for pattern, ignored in self.per_file_ignores:
            if _pattern_spec(pattern).match_file(relative):
                codes -= ignored
        return frozenset(codes)

    @property
    def keras_summary(self) -> str:
        """The resolved Keras target and where it came from: ``2 (auto: requirements.txt: tf-keras)``."""
        return f"{self.keras_version} ({self.keras_reason})"

    def fingerprint(self) -> str:
        """What the cache must key on: everything that changes findings."""
        return repr((sorted(self.select), self.per_file_ignores, self.keras_version))


@functools.lru_cache(maxsize=256)
def _pattern_spec(pattern: str) -> pathspec.GitIgnoreSpec:
    """One per-file-ignores pattern, compiled once per run rather than once per file."""
    import pathspec  # only runs with per-file-ignores need it

    return pathspec.GitIgnoreSpec.from_lines([pattern])


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def resolve_selectors(selectors: Iterable[str], where: str) -> set[str]:
    """Codes for selectors: exact codes, prefixes (RC1, RC), kebab-case names, or ALL."""
    codes: set[str] = set()
    for raw in selectors:
        token = raw.strip()
        if not token:
            continue
        if token.upper() == "ALL":
            codes |= set(RULES)
            continue
        if token in BY_NAME:
            codes.add(BY_NAME[token].code)
            continue
        matched = {code for code in RULES if code.startswith(token.upper())}
        if not matched:
            raise ConfigError(f"{where}: unknown rule selector {token!r}")
        codes |= matched
    return codes


@dataclass
class Overrides:
    """Selection and behaviour given on the command line; they win over the config file."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] | None = None
    extend_exclude: list[str] = field(default_factory=list)
    fail_on: str | None = None
    keras: str | None = None  # --keras auto|3|2


# The configuration files of one folder, the one that applies first: ruff's order (.ruff.toml, ruff.toml,
# pyproject.toml with a [tool.ruff] table). The first one found walking up from the checked path applies.
CONFIG_FILES = (".regcheck.toml", "regcheck.toml", "pyproject.toml")


def find_config(start: Path) -> tuple[Path, dict[str, Any], tuple[Path, ...]] | None:
    """The nearest folder's configuration, walking up: the file that applies, its table, and the other files
    of that folder that hold settings too (ignored: only one file of a folder applies, as in ruff)."""
    current = start.resolve()
    if _is_file(current):
        current = current.parent
    for directory in [current, *current.parents]:
        candidates = [directory / name for name in CONFIG_FILES if _is_file(directory / name)]
        for index, path in enumerate(candidates):
            table = _load(path, toplevel=path.name != "pyproject.toml")
            if table is not None:
                return path, table, tuple(other for other in candidates[index + 1 :] if _holds_settings(other))
    return None


def _holds_settings(path: Path) -> bool:
    """Does a file that does not apply hold settings (that a user may think apply)? Never an error: it is not read."""
    try:
        return bool(_load(path, toplevel=path.name != "pyproject.toml"))
    except ConfigError:
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder this user may not search
        return False


def _load(path: Path, toplevel: bool) -> Any:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if toplevel:
        return data.get("tool", {}).get("regcheck", data) if "tool" in data else data
    return data.get("tool", {}).get("regcheck")


def load_settings(
    start: Path, config_file: Path | None = None, overrides: Overrides | None = None, isolated: bool = False
) -> Settings:
    """``isolated``: read no configuration file at all (``--isolated``); only the defaults and overrides."""
    overrides = overrides or Overrides()
    if isolated:
        found: tuple[Path, dict[str, Any], tuple[Path, ...]] | None = None
    elif config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: config file not found")
        table = _load(config_file, toplevel=config_file.name != "pyproject.toml") or {}
        found = (config_file, table, ())
    else:
        found = find_config(start)
    path, table, ignored = found if found else (None, {}, ())
    where = str(path) if path else "settings"
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} in [tool.regcheck] (known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    root = path.parent if path else Path.cwd()

    select = set(DEFAULT_SELECT)
    if "select" in table:
        select = resolve_selectors(_list(table, "select", where), f"{where}: select")
    select |= resolve_selectors(_list(table, "extend-select", where), f"{where}: extend-select")
    if overrides.select is not None:
        select = resolve_selectors(overrides.select, "--select")
    select |= resolve_selectors(overrides.extend_select, "--extend-select")
    select -= resolve_selectors(_list(table, "ignore", where), f"{where}: ignore")
    select -= resolve_selectors(overrides.ignore, "--ignore")

    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{where}: per-file-ignores must be a table of pattern = [codes]")
    per_file_ignores = tuple(
        (
            pattern,
            frozenset(resolve_selectors(_as_list(codes, f"{where}: per-file-ignores"), f"{where}: per-file-ignores")),
        )
        for pattern, codes in per_file.items()
    )
    exclude = _list(table, "exclude", where) if overrides.exclude is None else overrides.exclude
    exclude = [*exclude, *_list(table, "extend-exclude", where), *overrides.extend_exclude]
    fail_on_text = overrides.fail_on or table.get("fail-on", "warning")
    try:
        fail_on = Severity.parse(str(fail_on_text))
    except ValueError as exc:
        raise ConfigError(f"{where}: fail-on: {exc}") from None
    keras_where = "--keras" if overrides.keras is not None else where
    keras_value = overrides.keras if overrides.keras is not None else table.get("keras", "auto")
    keras = _keras_target(keras_value, keras_where, root if path else start)
    return Settings(
        frozenset(select), per_file_ignores, tuple(exclude), fail_on, root, path,
        keras=keras.setting, keras_version=keras.version, keras_reason=keras.reason, ignored_configs=ignored,
    )  # fmt: skip


def render_settings(settings: Settings, paths: Iterable[str]) -> str:
    """What ``--show-settings`` prints: one ``key: value`` line per setting in effect."""

    def codes(values: Iterable[str]) -> str:
        return ", ".join(sorted(values)) or "(none)"

    lines = [
        f"config file: {settings.config_file or '(none)'}",
        *(
            f"ignored config file: {ignored} (holds settings; {settings.config_file} applies)"
            for ignored in settings.ignored_configs
        ),
        f"root: {settings.root}",
        f"paths: {' '.join(paths)}",
        f"select: {codes(settings.select)}",
        f"fail-on: {settings.fail_on}",
        f"exclude: {', '.join(settings.exclude) or '(none)'}",
        *(f"per-file-ignores: {pattern} = {codes(ignored)}" for pattern, ignored in settings.per_file_ignores),
        f"keras: {settings.keras_summary}",
    ]
    return "".join(line + "\n" for line in lines)


def _keras_target(value: Any, where: str, root: Path) -> KerasTarget:
    """``keras = "auto" | "3" | "2"`` (an int 3 or 2 is accepted too), resolved against the project's declarations."""
    from regcheck.config.keras_target import KERAS_SETTINGS, resolve

    setting = str(value).strip().lower() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if setting not in KERAS_SETTINGS:
        raise ConfigError(f"{where}: keras must be one of {', '.join(repr(s) for s in KERAS_SETTINGS)} (got {value!r})")
    return resolve(setting, root, where)


def _list(table: dict[str, Any], key: str, where: str) -> list[str]:
    return _as_list(table.get(key, []), f"{where}: {key}")


def _as_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):  # as ruff: a string is not a list of one (`select = "RC1"` is a slip for ["RC1"])
        quoted = json.dumps(value)
        raise ConfigError(f"{where} must be a list of strings, e.g. [{quoted}], not the string {quoted}")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return value


# --- settings for the API: cached while the files that decide them are unchanged ----------


# Files whose contents decide the settings: configuration and dependency declarations.
_DECIDING = frozenset({*CONFIG_FILES, "setup.cfg", "setup.py", "environment.yml", "environment.yaml", "Pipfile"})
_SETTINGS_MEMO: dict[tuple[Any, ...], tuple[tuple[Any, ...], Settings]] = {}


def _stamp(start: Path, config: Path | None) -> tuple[Any, ...]:
    """What the settings for ``start`` were read from: the deciding files of it and its parents, as stat results.

    Reading and parsing them again costs milliseconds per call; a test suite calls
    ``check_source`` thousands of times. Any edit, new or removed file changes the stamp."""
    stamp: list[Any] = []
    here = start.resolve()
    for directory in (here, *here.parents):
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = entry.name
                    if name in _DECIDING or (
                        name.startswith(("requirements", "constraints"))
                        and (name.endswith(".txt") or name == "requirements")
                    ):
                        info = entry.stat()
                        stamp.append((entry.path, info.st_mtime_ns, info.st_size))
                        if name == "requirements" and entry.is_dir():
                            stamp.append(_stamp_dir(entry.path))
        except OSError:
            continue
    if config is not None:
        try:
            info = config.stat()
            stamp.append((str(config.resolve()), info.st_mtime_ns, info.st_size))
        except OSError:
            stamp.append((str(config), None))
    return tuple(stamp)


def _stamp_dir(path: str) -> tuple[Any, ...]:
    with os.scandir(path) as entries:
        return tuple(
            sorted((e.path, e.stat().st_mtime_ns, e.stat().st_size) for e in entries if e.name.endswith(".txt"))
        )


def cached_settings(
    start: Path, select: Iterable[str] | str | None, keras: str | None, config: str | Path | None, isolated: bool
) -> Settings:
    """The settings for ``start`` (regcheck.check_source / check_paths), as ``--select`` / ``--keras`` /
    ``--config`` / ``--isolated`` would give them; read again only when a file that decides them changed."""
    from regcheck.config.keras_target import KERAS_SETTINGS

    if keras is not None and keras not in KERAS_SETTINGS:
        raise ValueError(f"keras must be one of {', '.join(map(repr, KERAS_SETTINGS))} (got {keras!r})")
    chosen = None if select is None else [select] if isinstance(select, str) else list(select)
    config_path = Path(config) if config is not None else None
    key = (
        str(start.resolve()),
        str(Path.cwd()),
        tuple(chosen) if chosen is not None else None,
        keras,
        str(config_path),
        isolated,
    )
    stamp = _stamp(start, config_path)
    memo = _SETTINGS_MEMO.get(key)
    if memo is not None and memo[0] == stamp:
        return memo[1]
    settings = load_settings(start, config_path, Overrides(select=chosen, keras=keras), isolated=isolated)
    if len(_SETTINGS_MEMO) > 64:
        _SETTINGS_MEMO.clear()
    _SETTINGS_MEMO[key] = (stamp, settings)
    return settings


def config_start(path: str | Path | None) -> Path:
    """Where to look for configuration and declared dependencies: the path's folder, else the cwd."""
    if path is None or str(path).startswith("<"):
        return Path.cwd()
    location = Path(path)
    return location if location.exists() else location.parent if location.parent.exists() else Path.cwd()
