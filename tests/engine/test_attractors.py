"""Attractors: a run built so that the right grouping is known (prompts that share a scene), analysed by the
real offline trio; arrival steps and image distances on runs written through the store."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine import InvalidInput, RunSession, RunStore, Status, load_run
from engine.attractors import find_attractors, run_embedder
from engine.prompts import Prompt
from engine.protocols import GeneratedImage
from engine.providers.offline.painter import encode_png, paint
from engine.records import ConversationInfo, Turn
from engine.tournament import Tournament, TournamentPlan, start_tournament

SCENES = {
    "room": [
        "A red apple on a brown table in a beige room.",
        "A black cat sitting under a wooden chair in a cozy living room.",
        "A lamp and a green plant beside a window in a quiet room at night.",
    ],
    "park": [
        "A small white dog running on the grass in a sunny park.",
        "Two children playing under a big tree in a green park.",
        "A yellow bench next to a tree in a garden in spring.",
    ],
    "space": [
        "A silver rocket flying past a ringed planet in outer space.",
        "An astronaut floating in space near the moon and the stars.",
        "A satellite orbiting a blue planet in space.",
    ],
}


@pytest.fixture(scope="module")
def scenes_run(tmp_path_factory, catalog):
    """Nine games of the offline pair, three prompts per scene; the sketch pair keeps a scene's setting, so the
    games of one scene must end in one attractor and no two scenes may share one."""
    prompts = tuple(
        Prompt(f"{scene}-{index}", "easy", text) for scene, texts in SCENES.items() for index, text in enumerate(texts)
    )
    folder = tmp_path_factory.mktemp("scenes") / "run"
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", prompts, 3)
    with RunSession(start_tournament(plan, folder), catalog) as session:
        result = Tournament(plan, session).run(lambda event: None)
    assert result.finished == 9
    return folder


@pytest.mark.slow
def test_games_that_share_a_scene_end_in_one_attractor(scenes_run, catalog):
    run = load_run(scenes_run)
    with RunSession.beside_writer(run.folder, catalog) as session:
        embedder = run_embedder(session, run)
        report = find_attractors(run, embedder)
        groups = sorted(tuple(attractor.prompts) for attractor in report.attractors)
        assert groups == [tuple(f"{scene}-{i}" for i in range(3)) for scene in ("park", "room", "space")]
        assert report.unique == [] and report.games == 9 and not report.with_images
        for attractor in report.attractors:
            assert attractor.share == pytest.approx(1 / 3)
            assert attractor.pairs == [("sketch-painter", "sketch-reader")]
            assert all(1 <= game.step <= 3 for game in attractor.games)
            scene = attractor.prompts[0].split("-")[0]
            assert {"room": "a room", "park": "park", "space": "outer space"}[scene] in attractor.exemplar_caption
            assert attractor.exemplar_image is not None and attractor.exemplar_image.is_file()

        everything = find_attractors(run, embedder, threshold=1.5)
        assert len(everything.attractors) == 1 and everything.attractors[0].share == 1.0
        apart = find_attractors(run, embedder, threshold=0.01)
        assert apart.attractors == [] and len(apart.unique) == 9


@pytest.mark.slow
def test_analyze_prints_and_draws_the_attractors(scenes_run, capsys, monkeypatch):
    from tui.cli.main import main

    monkeypatch.setenv("COLUMNS", "160")
    assert main(["analyze", str(scenes_run)]) == 0
    out = capsys.readouterr().out
    assert "Attractors (threshold 0.4)" in out
    for scene in SCENES:
        assert f"{scene}-0, {scene}-1, {scene}-2" in out
    assert out.count("3 (33%)") == 3
    with Image.open(scenes_run / "analysis" / "attractors.png") as chart:
        assert chart.format == "PNG" and chart.size[0] > 800

    assert main(["analyze", str(scenes_run), "--threshold", "2.5"]) == 2
    assert "--threshold is a cosine distance between 0 and 2" in capsys.readouterr().err


def write_game(store: RunStore, prompt_id: str, captions: list[str], status: Status = "finished") -> None:
    """One game written through the store as a played game would be: images, journal lines, outcome."""
    info = ConversationInfo(
        prompt_id, captions[0], prompt_id, "easy", "painter", "reader", "minilm", len(captions), 0, ""
    )
    journal = store.begin(info)
    for step, caption in enumerate(captions, start=1):
        image = journal.save_image(step, GeneratedImage(encode_png(paint(caption, step)), ".png"))
        relative = str(image.relative_to(journal.conversation.folder))
        journal.append(Turn(step, caption, "painter", "reader", "minilm", relative, caption))
    journal.finish(status)


def test_a_game_arrives_when_it_stops_leaving_its_attractor(tmp_path, catalog):
    store = RunStore.create("game", {}, tmp_path / "run")
    space = "The image shows outer space, dark and full of stars. A blue planet is in the center."
    write_game(
        store, "wanders", ["A red apple on a table in a beige room.", "A white dog in a green park.", space, space]
    )
    write_game(store, "direct", [space, space, space, space])
    write_game(store, "unfinished", ["A red apple in a room."], status="failed")
    report = find_attractors(load_run(tmp_path / "run"), catalog.embedder("minilm"))
    (attractor,) = report.attractors
    assert {game.prompt_id: game.step for game in attractor.games} == {"wanders": 3, "direct": 1}
    assert attractor.mean_arrival == 2.0 and report.games == 2, "an unfinished game has no end state"


def test_image_distances_take_part_where_the_embedder_takes_images(tmp_path, monkeypatch, catalog):
    from engine.providers.http import RetryPolicy
    from engine.providers.replicate import ReplicateProvider
    from tests.fakes.server import FakeServer

    store = RunStore.create("game", {}, tmp_path / "run")
    write_game(store, "apple", ["A red apple on a brown table in a beige room."])
    write_game(store, "cat", ["A black cat on a brown table in a beige room."])
    with FakeServer() as fake:
        monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_test")
        monkeypatch.setenv("REPLICATE_BASE_URL", fake.url)
        imagebind = ReplicateProvider(RetryPolicy(attempts=1)).create(catalog.get("imagebind"))
        run = load_run(tmp_path / "run")
        report = find_attractors(run, imagebind, threshold=1.0)
        texts = imagebind.embed_texts([turn.caption.lower() for c in run.conversations for turn in c.turns])
        images = imagebind.embed_images([c.image_path(c.turns[0]) for c in run.conversations])

    def cosine(a: np.ndarray, b: np.ndarray) -> float:
        return 1.0 - float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    expected = (cosine(*texts) + cosine(*images)) / 2
    assert report.with_images and report.tree[0][2] == pytest.approx(expected, abs=1e-6)


def test_a_run_with_fewer_than_two_finished_games_has_no_attractors(tmp_path, catalog, capsys):
    from tui.cli.main import main

    store = RunStore.create("game", {}, tmp_path / "run")
    write_game(store, "alone", ["A red apple."])
    with pytest.raises(InvalidInput, match="1 finished games; attractors need at least two"):
        find_attractors(load_run(tmp_path / "run"), catalog.embedder("minilm"))
    assert main(["analyze", str(tmp_path / "run"), "--no-pictures"]) == 0
    assert "no attractors:" in capsys.readouterr().out
