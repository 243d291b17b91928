"""Distances between embeddings, and the caption cleaning the original experiment used before measuring."""

from __future__ import annotations

import importlib

import numpy as np

# Boilerplate openings that captioners add; they say nothing about the picture.
CAPTION_PREFIXES = ("caption:", "the image shows", "the image features")


def clean_caption(caption: str) -> str:
    """Lower-case the caption and strip a leading "caption: ", "the image shows", "the image features"."""
    text = " ".join(caption.split()).lower()
    stripped = True
    while stripped:
        stripped = False
        for prefix in CAPTION_PREFIXES:
            if text.startswith(prefix):
                text = text[len(prefix) :].lstrip(" :,")
                stripped = True
    return text


MAX_DIMENSIONS = 16_384  # numbers in an embedding: the largest models give a few thousand


def unusable(vector: np.ndarray, length: int | None = None) -> str | None:
    """Why ``vector`` cannot be measured (not flat, empty, too long, of another ``length`` than the vectors
    it is compared with, not finite, all zeros: its distances would be NaN), or None when it can."""
    if vector.ndim != 1 or not 0 < vector.size <= MAX_DIMENSIONS:
        return f"shaped {vector.shape}"
    if length is not None and vector.size != length:
        return f"{vector.size} numbers where {length} were expected"
    if not bool(np.isfinite(vector).all()):
        return "numbers that are not finite"
    if not bool(vector.any()):
        return "all zeros"
    return None


def as_rows(vectors: list[np.ndarray]) -> np.ndarray:
    """Vectors as the rows of one array; a single vector as a one-row view of itself: most calls measure one
    text or image, and copying it would hand the GIL to another game's thread for nothing."""
    return vectors[0][np.newaxis] if len(vectors) == 1 else np.stack(vectors)


def prepare_distances() -> None:
    """Import scipy's distances now: a run about to measure pays the third of a second before its games share
    the GIL, not in a first turn with fifteen other threads waiting."""
    importlib.import_module("scipy.spatial.distance")


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """scipy's cosine distance, clamped to [0, 2] against rounding. scipy is imported on the first measurement,
    not at start: importing scipy.spatial costs a third of a second."""
    from scipy.spatial.distance import cosine

    distance = float(cosine(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))
    return min(max(distance, 0.0), 2.0)
