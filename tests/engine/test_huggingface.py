"""Hugging Face models on this machine (the ``local`` extra): tiny random-weight models built here, saved as the
libraries save them, and loaded through the provider's real loading code, from a folder and from the cache."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch", reason="the local models need the extra: pip install 'aitelephone[local]'")
pytest.importorskip("diffusers", reason="the local models need the extra: pip install 'aitelephone[local]'")

from engine import Catalog, RunStore, build_line, load_prompts, load_run  # noqa: E402
from engine.catalog import user_catalog_path  # noqa: E402
from tests.tiny_models import WORDS, save_blip, save_clip, save_diffusion, save_llava  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tiny")
    return {
        "painter": save_diffusion(folder / "painter"),
        "captioner": save_blip(folder / "captioner"),
        "chat-captioner": save_llava(folder / "chat-captioner"),
        "clip": save_clip(folder / "clip"),
    }


def entry(model_id: str, kind: str, ref: str | Path, **options: object) -> str:
    lines = [f'id = "{model_id}"', f'kind = "{kind}"', 'provider = "huggingface"', f'ref = "{ref}"', 'name = "tiny"']
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in options.items()]
    return "[[model]]\n" + "\n".join(lines) + "\n"


def write_user_catalog(*entries: str) -> Catalog:
    user_catalog_path().parent.mkdir(parents=True, exist_ok=True)
    user_catalog_path().write_text("\n".join(entries), encoding="utf-8")
    return Catalog.load()


def test_a_tiny_diffusers_blip_clip_trio_plays_a_game_with_image_distances(saved, tmp_path):
    catalog = write_user_catalog(
        entry("tiny-sd", "t2i", saved["painter"], steps=2, guidance=7.5, width=32, height=32),
        entry("tiny-blip", "i2t", saved["captioner"], max_new_tokens=12),
        entry("tiny-clip", "embed", saved["clip"]),
    )
    line = build_line(catalog, "tiny-sd", "tiny-blip", "tiny-clip")
    assert line.embedder.takes_images and line.drawers[0].device == "cpu"
    events = list(line.play(load_prompts()[0], 2, RunStore.create("game", {}, tmp_path / "run"), seed=4))
    assert events[-1].status == "finished", events[-1].detail

    conversation = load_run(tmp_path / "run").conversations[0]
    first, second = conversation.turns
    for turn in (first, second):
        with Image.open(conversation.image_path(turn)) as image:
            assert image.size == (32, 32) and image.format == "PNG"
        assert set(turn.caption.split()) <= {*WORDS, *"abcdefghijklmnopqrstuvwxyz"}, "BLIP's own vocabulary"
        assert 0.0 <= turn.distance_to_prompt <= 2.0 and 0.0 <= turn.image_to_prompt <= 2.0
    assert second.text == first.caption
    assert first.image_to_previous_image is None and 0.0 <= second.image_to_previous_image <= 2.0

    redrawn = line.drawers[0].generate(first.text, seed=12345)
    assert redrawn.data == line.drawers[0].generate(first.text, seed=12345).data, "the same seed draws the same picture"
    assert redrawn.data != line.drawers[0].generate(first.text, seed=54321).data


def test_a_captioner_with_a_chat_template_is_asked_the_instruction(saved, tmp_path):
    catalog = write_user_catalog(
        entry("tiny-chat", "i2t", saved["chat-captioner"], max_new_tokens=8),
        entry("tiny-blip", "i2t", saved["captioner"]),
    )
    picture = tmp_path / "red.png"
    Image.new("RGB", (48, 48), (220, 30, 30)).save(picture)
    captioner = catalog.image_to_text("tiny-chat")
    caption = captioner.describe(picture, seed=0)
    assert caption and "write a detailed description" not in caption.lower(), "the prompt is not echoed back"
    assert captioner.inputs(0)["instruction"] == "Write a detailed description of this image."
    assert "instruction" not in catalog.image_to_text("tiny-blip").inputs(0), "BLIP captions unprompted"


def test_clip_measures_a_long_text_from_all_of_its_windows(saved):
    catalog = write_user_catalog(entry("tiny-clip", "embed", saved["clip"]))
    clip = catalog.create("tiny-clip", "embed")
    head = "a red apple on the table. " * 3  # 78 characters: CLIP's tokenizer here has one token per character
    tail = "a white dog in the park. " * 4
    vectors = clip.embed_texts([head + tail, head + "a blue sky. " * 8, head])
    assert vectors.shape == (3, 8) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1], atol=1e-3), "words past the 77th token change the vector"
    images = clip.embed_images([save_picture(Path(os.environ["HF_HOME"]) / "p.png")])
    assert images.shape == (1, 8)


def save_picture(path: Path) -> Path:
    Image.new("RGB", (40, 40), (30, 200, 30)).save(path)
    return path


def test_availability_says_what_is_missing(tmp_path):
    catalog = write_user_catalog(
        entry("gone", "t2i", tmp_path / "nothing-here"),
        entry("uncached", "embed", "aitelephone-tests/not-downloaded"),
    )
    assert catalog.availability(catalog.get("gone")).reason == f"no saved model in {tmp_path / 'nothing-here'}"
    assert catalog.availability(catalog.get("uncached")).reason == (
        "not in the Hugging Face cache (`hf download aitelephone-tests/not-downloaded`)"
    )


def test_a_model_in_the_hugging_face_cache_loads_by_its_repository_id(saved):
    """The cache layout the hub client writes (refs/main → snapshots/REVISION/...), read in a fresh process
    whose HF_HOME is this session's isolated one."""
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = Path(os.environ["HF_HOME"]) / "hub" / "models--aitelephone-tests--tiny-clip"
    shutil.copytree(saved["clip"], repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    script = (
        "from engine import Catalog; from engine.catalog import ModelEntry;"
        "from engine.providers.huggingface import HuggingFaceProvider;"
        "entry = ModelEntry('cached-clip', 'embed', 'huggingface', 'aitelephone-tests/tiny-clip', 'tiny');"
        "provider = HuggingFaceProvider(); print(provider.availability(entry).ok);"
        "print(provider.create(entry).embed_texts(['a red apple']).shape)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=True)
    assert result.stdout.split("\n")[:2] == ["True", "(1, 8)"]


def test_the_base_install_imports_nothing_heavy():
    script = (
        "import sys; from engine import Catalog; catalog = Catalog.load();"
        "[catalog.availability(e) for e in catalog.entries() if e.provider == 'huggingface'];"
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_pictures_are_png_bytes_that_decode(saved):
    catalog = write_user_catalog(entry("tiny-sd", "t2i", saved["painter"], steps=1, width=32, height=32))
    image = catalog.create("tiny-sd", "t2i").generate("a dog", seed=0)
    assert image.suffix == ".png" and Image.open(io.BytesIO(image.data)).size == (32, 32)
