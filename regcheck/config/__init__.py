"""Configuration: what a run checks and how.

- ``catalog``: the rule catalogue (code, name, severity, fix safety), read from the checks' metadata;
- ``settings``: ``[tool.regcheck]`` / ``regcheck.toml``, command-line overrides, rule selection;
- ``keras_target``: which Keras the checked project runs on (``keras = "auto" | "3" | "2"``).

Reads no source file of the project being checked; imports nothing of the later steps.
"""
