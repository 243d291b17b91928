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
    """1 − the cosine of the angle between ``a`` and ``b`` (in float64), clamped to [0, 2] against rounding."""
    u, v = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.clip(1.0 - u.dot(v) / np.sqrt(u.dot(u) * v.dot(v)), 0.0, 2.0))
