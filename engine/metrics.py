"""Distances between embeddings, and the caption cleaning the original experiment used before measuring."""

from __future__ import annotations

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


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """scipy's cosine distance, clamped to [0, 2] against rounding. scipy is imported on the first measurement,
    not at start: importing scipy.spatial costs a third of a second."""
    from scipy.spatial.distance import cosine

    return float(np.clip(cosine(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)), 0.0, 2.0))
