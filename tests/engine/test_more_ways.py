"""More ways to play (issue 21): a game from a picture (turn 0), lineups of several models taking turns, and
a person among the describers; and the analysis of mixed games. Real offline games, 2–3 turns each."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from PIL import Image

from engine import (
    Analysis,
    Catalog,
    ConversationStarted,
    DistancesReady,
    InvalidInput,
    Person,
    RunSession,
    StartPicture,
    Tournament,
    TournamentPlan,
    UnknownModel,
    build_line,
    load_prompts,
    load_run,
    load_start_picture,
    parse_chain,
    start_game_run,
    start_tournament,
)
from engine.metrics import clean_caption, cosine_distance
from tests.fakes.ollama import FakeOllama
from tests.players import ScriptedPerson, add_second_models, draw_picture

PAINTERS, READERS = "sketch-painter,sketch-painter-b", "sketch-reader,sketch-reader-b"


@pytest.fixture
def lineup_catalog() -> Catalog:
    add_second_models()
    return Catalog.load()


@pytest.fixture
def picture(tmp_path) -> StartPicture:
    return load_start_picture(draw_picture(tmp_path / "album.png"))


def test_a_game_from_a_picture_describes_it_first_and_is_measured_against_that(tmp_path, offline_line, picture):
    store = start_game_run(2, 0, tmp_path / "run")
    events = list(offline_line.play(picture, 2, store))
    run = load_run(store.folder)
    assert run.meta["version"] == 2
    (game,) = run.conversations
    start = game.start
    assert start is not None and start.step == 0 and start.t2i == "" and start.text == "" and start.caption
    assert game.image_path(start).read_bytes() == picture.image.data, "the picture is copied into the run"
    assert game.info.start_picture == hashlib.sha256(picture.image.data).hexdigest() == picture.digest
    assert game.info.level == "picture" and game.info.prompt == "picture album.png"
    assert [turn.step for turn in game.shown_turns] == [0, 1, 2]
    first = game.turns[0]
    assert first.text == start.caption, "turn 1 draws the picture's description"
    vectors = offline_line.embedder.embed_texts([clean_caption(first.caption or ""), clean_caption(start.caption)])
    assert first.distance_to_prompt == pytest.approx(cosine_distance(vectors[0], vectors[1]), abs=1e-6)
    assert [e.turn.step for e in events if isinstance(e, DistancesReady)] == [0, 1, 2]

    # Resuming works as for text: the same picture, under any name, is the same conversation.
    renamed = load_start_picture(draw_picture(tmp_path / "another-name.png"))
    again = list(offline_line.play(renamed, 2, store))
    assert isinstance(again[0], ConversationStarted) and again[0].first_step == 3
    assert len(load_run(store.folder).conversations) == 1
    other = load_start_picture(draw_picture(tmp_path / "wide.png", size=(120, 64)))
    assert offline_line.conversation_id(other, 2, 0) != game.info.id


def _gif(path):
    Image.new("RGB", (8, 8)).save(path, format="GIF")


def _huge(path):
    Image.new("1", (8000, 6000)).save(path, format="PNG")  # 48 million pixels in a few kilobytes


def _truncated(path):
    draw_picture(path)
    path.write_bytes(path.read_bytes()[:200])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda path: path.write_text("not a picture"), "not a PNG, JPEG or WebP picture"),
        (_gif, "not a PNG, JPEG or WebP picture"),
        (_truncated, "not a PNG, JPEG or WebP picture"),
        (_huge, "8000×6000 pixels, over the 40,000,000-pixel ceiling"),
        (lambda path: None, "missing"),
        (lambda path: path.mkdir(), "a folder, not a regular file"),
    ],
)
def test_a_picture_that_cannot_start_a_game_is_refused_in_one_line(tmp_path, make, message):
    path = tmp_path / "start.png"
    make(path)
    with pytest.raises(InvalidInput, match=message) as refused:
        load_start_picture(path)
    assert "\n" not in str(refused.value)


def test_jpeg_and_webp_start_games_too(tmp_path):
    for fmt, suffix in (("JPEG", ".jpg"), ("WEBP", ".webp")):
        loaded = load_start_picture(draw_picture(tmp_path / f"photo.{fmt.lower()}", fmt=fmt))
        assert loaded.image.suffix == suffix


def test_lineups_take_turns_in_order_from_text_and_from_a_picture(tmp_path, lineup_catalog, picture):
    line = build_line(lineup_catalog, PAINTERS, READERS, "minilm")
    store = start_game_run(3, 0, tmp_path / "run")
    prompt = load_prompts()[0]
    list(line.play(prompt, 3, store))
    list(line.play(picture, 3, store))
    from_text, from_picture = sorted(load_run(store.folder).conversations, key=lambda c: c.start is not None)
    assert from_text.info.t2i == PAINTERS and from_text.info.describers == ("sketch-reader", "sketch-reader-b")
    a, b, c, d = "sketch-painter", "sketch-painter-b", "sketch-reader", "sketch-reader-b"
    assert [(t.t2i, t.i2t) for t in from_text.turns] == [(a, c), (b, d), (a, c)]  # a→c→b→d→a…
    assert [(t.t2i, t.i2t) for t in from_picture.shown_turns] == [("", c), (a, d), (b, c), (a, d)]


def test_a_lineup_is_checked_before_anything_is_written(lineup_catalog):
    for t2i, i2t, error, message in [
        ("", "sketch-reader", InvalidInput, "a list of model ids"),
        ("sketch-painter,", "sketch-reader", InvalidInput, "a list of model ids"),
        ("sketch-painter,nope", "sketch-reader", UnknownModel, "'nope'"),
        ("you", "sketch-reader", InvalidInput, "only models draw"),
        ("sketch-painter", "sketch-reader,you", InvalidInput, "someone can be asked"),
    ]:
        with pytest.raises(error, match=message):
            build_line(lineup_catalog, t2i, i2t, "minilm")


def test_a_person_takes_turns_never_cached_nor_priced_and_stopping_keeps_the_turn_to_play(tmp_path, catalog):
    person = ScriptedPerson("a red sun over a green field", None)
    line = build_line(catalog, "sketch-painter", "you,sketch-reader", "minilm", Person(person))
    prompt = load_prompts()[0]
    with RunSession(start_game_run(3, 0, tmp_path / "run"), catalog, 1.0) as session:
        metered = session.metered(line)
        assert metered.describers[0] is line.describers[0], "a person is never behind the cache, budget or gate"
        finished = list(metered.play(prompt, 3, session.store))[-1]
        assert finished.status == "cancelled" and finished.turns_played == 2
        assert session.budget.spent == 0.0
    run = load_run(tmp_path / "run")
    (game,) = run.conversations
    assert [(t.i2t, t.person) for t in game.turns] == [("you", True), ("sketch-reader", False)]
    assert game.turns[0].caption == "a red sun over a green field" and game.turns[0].reproducible is False
    assert len(person.shown) == 2 and person.shown[0].name == "turn-01.png"
    with sqlite3.connect(tmp_path / "run" / "cache" / "answers.sqlite") as cache:
        assert cache.execute("SELECT COUNT(*) FROM captions").fetchone()[0] == 1, "only the model's caption is kept"

    # Playing on asks the person again for the turn they stopped at.
    line = build_line(catalog, "sketch-painter", "you,sketch-reader", "minilm", Person(ScriptedPerson("a red dot")))
    with RunSession(start_game_run(3, 0, tmp_path / "run"), catalog) as session:
        assert list(session.metered(line).play(prompt, 3, session.store))[-1].status == "finished"
        # A game of models alone on the same prompt, to hold the person's against.
        list(session.line("sketch-painter", "sketch-reader", "minilm").play(prompt, 3, session.store))
    analysis = Analysis(load_run(tmp_path / "run"))
    note = analysis.people_note(prompt.level)
    assert note.startswith("with a person: final distance") and "models alone" in note and "in 1 games" in note
    rows = {(row.player, row.role): row for row in analysis.players()}
    assert rows["you", "describes"].turns == 2 and rows["sketch-reader", "describes"].turns == 1
    assert any(row.pair == "sketch-painter ⇄ you,sketch-reader" for row in analysis.leaderboard(prompt.level))


def test_a_tournament_plays_chains_when_asked_and_never_a_person(tmp_path, lineup_catalog):
    prompt = load_prompts()[0]
    chain = parse_chain(f"{PAINTERS}/{READERS}")
    plan = TournamentPlan(("sketch-painter",), ("sketch-reader",), "minilm", (prompt,), 2, chains=(chain,))
    assert [(d, r) for d, r, _ in plan.games] == [(("sketch-painter",), ("sketch-reader",)), chain]
    assert TournamentPlan.from_json(plan.to_json()) == plan
    assert "chains" not in TournamentPlan(("a",), ("b",), "minilm", (prompt,), 2).to_json(), "old plans stay as saved"
    with RunSession(start_tournament(plan, tmp_path / "t"), lineup_catalog) as session:
        result = Tournament(plan, session, concurrency=2).run(lambda event: None)
    assert result.finished == 2
    lineups = sorted(c.info.pair for c in load_run(tmp_path / "t").conversations)
    assert lineups == ["sketch-painter ⇄ sketch-reader", f"{PAINTERS} ⇄ {READERS}"]
    for bad, message in [("a,b", "split by a slash"), ("a/", "split by a slash"), ("a/b", "more than one model")]:
        with pytest.raises(InvalidInput, match=message):
            TournamentPlan(("a",), ("b",), "minilm", (prompt,), 2, chains=(parse_chain(bad),))
    with pytest.raises(InvalidInput, match="a person"):
        TournamentPlan(("a",), ("b", "you"), "minilm", (prompt,), 2)


def test_a_game_from_a_picture_mixes_hosted_local_and_offline_players(tmp_path, fake, picture, monkeypatch, catalog):
    """Nothing of the new ways to play is the offline models': a lineup of Replicate, OpenAI, Ollama and the
    offline models (each through its real client, against the loopback fakes) plays from a picture, measured
    by a hosted embedder that takes images."""
    with FakeOllama({"llava:latest": "vision"}) as ollama:
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        drawers, describers = "stable-diffusion,sketch-painter", "ollama-llava,gpt-4o-mini,sketch-reader"
        store = start_game_run(3, 0, tmp_path / "run")
        with RunSession(store, catalog) as session:
            line = session.line(drawers.split(","), describers.split(","), "imagebind")
            assert list(line.play(picture, 3, store))[-1].status == "finished"
        assert len(ollama.calls("/api/chat") + ollama.calls("/api/generate")) == 2  # turns 0 and 3
    (game,) = load_run(store.folder).conversations
    assert [(t.t2i, t.i2t) for t in game.shown_turns] == [
        ("", "ollama-llava"),
        ("stable-diffusion", "gpt-4o-mini"),
        ("sketch-painter", "sketch-reader"),
        ("stable-diffusion", "ollama-llava"),
    ]
    assert all(t.image_to_start_image is not None and 0 <= t.image_to_start_image <= 2 for t in game.turns)
    assert {"t2i", "i2t", "embed"} <= set(fake.answered), "Replicate drew and embedded, OpenAI described"
