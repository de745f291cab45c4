"""The mutation benchmark's parts (``benchmarks/mutations.py`` is the command).

- :mod:`mutants.source`: a Python file or a notebook as one module text, written back after a mutation;
- :mod:`mutants.syntax`: small libcst helpers (names, parents, positions, removing and inserting);
- :mod:`mutants.kinds`: where each kind of mistake can be injected (sites) and how (libcst transformers);
- :mod:`mutants.imports`: the project's imports between files, which decide what one run may mix;
- :mod:`mutants.scoring`: regcheck's findings against the sites: detected, elsewhere, missed, side findings;
- :mod:`mutants.causes`: why a mutation was missed, from what the site's code shows.
"""
