"""regcheck's version: one place, read by the build (pyproject.toml), the cache key and the reporters."""

__version__ = "0.1.0"
