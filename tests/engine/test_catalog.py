"""The model and prompt catalogs: shipped data, user files, clear errors."""

from __future__ import annotations

import pytest

from engine import Catalog, InvalidInput, StorageError, UnknownModel, load_prompts
from engine.catalog import user_catalog_path
from engine.prompts import find_prompt, prompt_for_text, user_prompts_path

ARTICLE_QUOTES = [
    "A red apple sitting on a wooden table with sunlight streaming in from a window.",
    "An astronaut floating in the International Space Station, looking out at Earth through the window, with a "
    "space capsule docked in the background.",
    "A bustling marketplace in an ancient Middle Eastern city. Traders haggling over spices and silks, camels "
    "carrying goods, the sun setting behind a mosque with a crescent moon visible.",
]


def test_offline_trio_is_catalogued_and_available(catalog):
    for model_id, kind in (("sketch-painter", "t2i"), ("sketch-reader", "i2t"), ("minilm", "embed")):
        entry = catalog.get(model_id, kind)
        assert catalog.availability(entry).ok


def test_unknown_model_lists_the_valid_ids(catalog):
    with pytest.raises(UnknownModel, match="unknown text → image model 'dalle-9'; choose one of: .*sketch-painter"):
        catalog.create("dalle-9", "t2i")
    with pytest.raises(UnknownModel, match="sketch-reader"):
        catalog.get("sketch-painter", "i2t")


def test_user_catalog_file_adds_models(tmp_path):
    user_catalog_path().parent.mkdir(parents=True, exist_ok=True)
    user_catalog_path().write_text(
        '[[model]]\nid = "my-painter"\nkind = "t2i"\nprovider = "offline"\nref = "sketch-painter"\n'
        'name = "Mine"\n[[model]]\nid = "ghost"\nkind = "i2t"\nprovider = "nowhere"\nref = "x"\nname = "Ghost"\n'
    )
    catalog = Catalog.load()
    assert catalog.create("my-painter", "t2i").model_id == "my-painter"
    status = catalog.availability(catalog.get("ghost"))
    assert not status.ok and "provider 'nowhere' is not installed" in status.reason


def test_prompt_catalog_has_the_articles_levels_and_prompts():
    prompts = load_prompts()
    assert [p.level for p in prompts] == ["easy"] * 3 + ["medium"] * 3 + ["hard"] * 3 + ["impossible"]
    texts = [p.text for p in prompts]
    for quote in ARTICLE_QUOTES:
        assert quote in texts
    assert any(text.startswith("A panoramic scene of an advanced alien civilization") for text in texts)
    assert len({p.id for p in prompts}) == 10


def test_user_prompts_extend_the_catalog():
    user_prompts_path().parent.mkdir(parents=True, exist_ok=True)
    user_prompts_path().write_text('[[prompt]]\nid = "kite"\nlevel = "easy"\ntext = "A red kite over a beach."\n')
    prompts = load_prompts()
    assert find_prompt("kite", prompts).text == "A red kite over a beach."
    assert len(prompts) == 11


def test_typed_prompts_are_validated():
    with pytest.raises(InvalidInput, match="empty"):
        prompt_for_text("   \n\t", load_prompts())
    assert prompt_for_text("  a  cat ", load_prompts()).text == "a cat"


def test_a_providers_settings_reach_its_models_and_a_user_file_overrides_them(tmp_path):
    shipped = Catalog.load(tmp_path / "none.toml")
    assert shipped.get("blip").options["requests_per_minute"] == 600, "Replicate's documented rate"
    assert "requests_per_minute" not in shipped.get("gpt-4o-mini").options
    mine = tmp_path / "models.toml"
    mine.write_text("[provider.replicate]\nrequests_per_minute = 120\n")
    assert Catalog.load(mine).get("blip").options["requests_per_minute"] == 120
    mine.write_text("[provider]\nreplicate = 5\n")
    with pytest.raises(StorageError, match="provider"):
        Catalog.load(mine)
