"""Image→text through ``transformers``: any image-text-to-text model (BLIP, BLIP-2, GIT, LLaVA, SmolVLM, ...)
loaded with ``AutoProcessor`` and ``AutoModelForImageTextToText`` from disk only. A model with a chat template
is asked the game's instruction; one without (BLIP) captions unprompted, as it was trained to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from transformers import AutoModelForImageTextToText, AutoProcessor

from engine.imagefiles import open_picture
from engine.protocols import ImageToText
from engine.providers.hosted import INSTRUCTION, read_text
from engine.providers.huggingface.loading import LocalModel

Loaded = tuple[Any, Any]  # the processor and the model


class TransformersImageToText(LocalModel[Loaded], ImageToText):
    reproducible = True  # greedy decoding: no sampling, so no seed is needed

    def load(self) -> Loaded:
        processor = AutoProcessor.from_pretrained(self.source, local_files_only=True)
        model: Any = AutoModelForImageTextToText.from_pretrained(self.source, local_files_only=True, dtype=self.dtype)
        return processor, model.to(self.device).eval()

    def inputs(self, seed: int) -> dict[str, Any]:
        processor, _ = self.run(lambda loaded: loaded)
        asked = {"instruction": INSTRUCTION} if getattr(processor, "chat_template", None) else {}
        return {"image": "{image}", **asked, "max_new_tokens": self.max_new_tokens, "do_sample": False}

    @property
    def max_new_tokens(self) -> int:
        return int(self.entry.options.get("max_new_tokens", 120))

    def describe(self, image: Path, *, seed: int) -> str:
        picture = open_picture(image)  # a resumed run's image is a stranger's file: a regular one, under the ceilings
        return read_text(self.run(lambda loaded: self._caption(loaded, picture)))

    def _caption(self, loaded: Loaded, picture: Image.Image) -> str:
        processor, model = loaded
        if getattr(processor, "chat_template", None):
            messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": INSTRUCTION}]}]
            prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
            inputs = processor(images=picture, text=prompt, return_tensors="pt")
        else:
            inputs = processor(images=picture, return_tensors="pt")
        inputs = inputs.to(self.device, self.dtype)
        output = model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        # A decoder-only model answers after the prompt it was given; only the answer is the caption.
        prompted = "input_ids" in inputs and not model.config.is_encoder_decoder
        prompt_length = inputs["input_ids"].shape[1] if prompted else 0
        return str(processor.decode(output[0][prompt_length:], skip_special_tokens=True))
