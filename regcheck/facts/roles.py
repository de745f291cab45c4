"""Guessing a parameter's role (weight, bias, normalization, embedding) from how code names and shapes it."""

from __future__ import annotations

import re
from enum import Enum


class Role(str, Enum):
    WEIGHT = "weight"
    BIAS = "bias"
    NORM = "normalization"
    EMBEDDING = "embedding"
    UNKNOWN = "unknown"


_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
_BIAS = re.compile(r"^(b|bias|biases|bias\d+|b\d+)$", re.IGNORECASE)
_WEIGHT = re.compile(r"^(w|weight|weights|kernel|kernels|w\d+|weight\d+|filter|filters|wd\d*)$", re.IGNORECASE)
_NORM = re.compile(r"^(gamma|beta|scale|offset|bn\d*|batchnorm|layernorm|norm)$", re.IGNORECASE)
_EMBED = re.compile(r"^(embedding|embeddings|embed|emb|embedding_matrix|lookup_table)$", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    return [t for t in _SPLIT.split(text) if t]


def role_from_names(*names: str | None) -> Role:
    """Role suggested by identifiers and TF variable names, most specific name first."""
    for name in names:
        if not name:
            continue
        parts = tokens(name)
        if not parts:
            continue
        if any(_EMBED.match(p) for p in parts):
            return Role.EMBEDDING
        if any(_BIAS.match(p) for p in parts):
            return Role.BIAS
        if any(_NORM.match(p) for p in parts) and not any(_WEIGHT.match(p) for p in parts):
            return Role.NORM
        if any(_WEIGHT.match(p) for p in parts):
            return Role.WEIGHT
    return Role.UNKNOWN


def role_from_rank(rank: int | None) -> Role:
    if rank is None:
        return Role.UNKNOWN
    if rank == 1:
        return Role.BIAS
    if rank >= 2:
        return Role.WEIGHT
    return Role.UNKNOWN
