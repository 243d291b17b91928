"""A CLIP-family embedder through ``transformers`` (``AutoModel`` + ``AutoProcessor``, from disk only): texts
and images in one space, so image→prompt and image→previous-image distances are measured with no hosted call.

CLIP reads at most 77 tokens; a longer caption is measured whole, as MiniLM's are: cut into overlapping
windows that fit, each embedded, the windows pooled weighted by their token counts.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoProcessor

from engine.imagefiles import open_picture
from engine.protocols import Embedder
from engine.providers.huggingface.loading import LocalModel
from engine.providers.windows import pool_windows, window_spans

OVERLAP = 16  # tokens shared by consecutive windows


Loaded = tuple[Any, Any]  # the processor and the model


class ClipEmbedder(LocalModel[Loaded], Embedder):
    takes_images = True

    def load(self) -> Loaded:
        processor = AutoProcessor.from_pretrained(self.source, local_files_only=True)
        model: Any = AutoModel.from_pretrained(self.source, local_files_only=True, dtype=self.dtype)
        return processor, model.to(self.device).eval()

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.run(partial(self._embed_text, text=text)) for text in texts])

    def _embed_text(self, loaded: Loaded, text: str) -> np.ndarray:
        processor, model = loaded
        tokenizer = processor.tokenizer
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        body = model.config.text_config.max_position_embeddings - 2  # the start and end tokens wrap each window
        start, end = tokenizer.bos_token_id, tokenizer.eos_token_id
        windows = [[start, *ids[first:last], end] for first, last in window_spans(len(ids), body, OVERLAP)]
        vectors = [
            self._features(model.get_text_features(input_ids=torch.tensor([window], device=self.device)))
            for window in windows
        ]
        return pool_windows(np.stack(vectors), [len(window) for window in windows])

    def embed_images(self, images: list[Path]) -> np.ndarray:
        pictures = [open_picture(path) for path in images]  # a resumed run's previous image is a stranger's file

        def embed(loaded: Loaded) -> np.ndarray:
            processor, model = loaded
            inputs = processor(images=pictures, return_tensors="pt").to(self.device, self.dtype)
            return self._features(model.get_image_features(**inputs))

        rows = np.atleast_2d(self.run(embed))
        units: np.ndarray = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return units.astype(np.float32)

    @staticmethod
    def _features(output: Any) -> np.ndarray:
        """The projected embedding (transformers 5 returns it as ``pooler_output``), as float64 on the CPU."""
        features: np.ndarray = output.pooler_output.float().cpu().numpy().astype(np.float64)
        return features.squeeze(0)
