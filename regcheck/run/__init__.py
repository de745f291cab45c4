"""Run: many source units at once.

- ``batch``: stream one report per file, in order: cached results here, the rest linted in this
  process or in the pool;
- ``pool``: worker processes that never outlive their parent;
- ``cache``: results of unchanged files, keyed by what they depended on;
- ``project``: the project index (module names -> files, other modules' facts on demand).
"""
