"""Animated exports for slides: one frame per turn, each with that turn's picture, opened back with Pillow."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from engine import InvalidInput, RunStore, load_prompts, load_run
from engine.export.animation import MARGIN, MIN_TEXT_PX, PICTURE, SLIDE, turn_frame, write_animations
from engine.protocols import GeneratedImage
from engine.providers.offline.painter import encode_png
from engine.records import ConversationInfo, Turn
from tui.cli.main import main


@pytest.fixture(scope="module")
def played_run(tmp_path_factory, offline_line):
    folder = tmp_path_factory.mktemp("animation") / "run"
    store = RunStore.create("game", {}, folder)
    for prompt in load_prompts()[:2]:
        list(offline_line.play(prompt, 4, store, seed=1))
    return folder


def frames_of(path):
    with Image.open(path) as animation:
        frames = []
        for index in range(animation.n_frames):
            animation.seek(index)
            frames.append((animation.convert("RGB"), animation.info.get("duration")))
        return animation.format, frames


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_one_frame_per_turn_showing_that_turns_picture(tmp_path, played_run, fmt):
    run = load_run(played_run)
    written = write_animations(run, tmp_path / "slides", fmt, seconds_per_turn=2)
    assert len(written) == 2 and all(path.suffix == f".{fmt}" for path in written)
    conversation = next(c for c in run.conversations if c.info.id in written[0].name)
    kind, frames = frames_of(written[0])
    assert kind == fmt.upper() and len(frames) == len(conversation.turns) == 4
    assert [duration for _, duration in frames] == [2000, 2000, 2000, 4000]  # the last turn is held longer
    for (frame, _), turn in zip(frames, conversation.turns, strict=True):
        assert frame.size == SLIDE
        shown = np.asarray(frame.crop((MARGIN, MARGIN, MARGIN + PICTURE, MARGIN + PICTURE)), dtype=np.int16)
        with Image.open(conversation.image_path(turn)) as image:
            expected = np.asarray(image.convert("RGB").resize((PICTURE, PICTURE)), dtype=np.int16)
        assert np.abs(shown - expected).mean() < 12, f"turn {turn.step} shows its own picture"


def test_a_long_caption_a_failed_turn_and_a_missing_picture_still_make_frames(tmp_path):
    store = RunStore.create("game", {}, tmp_path / "run")
    info = ConversationInfo("c0ffee000001", "A cat\x1b[31m.", "cat", "easy", "t", "i", "e", 3, 0, "2024-01-01")
    journal = store.begin(info)
    conversation = journal.conversation
    wide = Image.new("RGB", (300, 120), (200, 40, 40))
    image = journal.save_image(1, GeneratedImage(encode_png(wide), ".png"))
    long_caption = "a very long caption " * 60
    drawn = str(image.relative_to(conversation.folder))
    journal.append(Turn(1, "A cat.", "t", "i", "e", drawn, long_caption, distance_to_prompt=2.4))
    journal.append(Turn(2, long_caption, "t", "i", "e", "images/turn-02.png", "gone", distance_to_prompt=0.5))
    journal.append(Turn(3, "gone", "t", "i", "e", error="HTTP 500", refused=False))
    (path,) = write_animations(load_run(tmp_path / "run"), tmp_path / "one.gif", "gif", conversation_id="c0ffee")
    assert path == tmp_path / "one.gif"
    _, frames = frames_of(path)
    assert len(frames) == 3
    first = np.asarray(frames[0][0])
    picture_row = first[MARGIN + PICTURE // 2, MARGIN : MARGIN + PICTURE]
    assert (np.abs(picture_row.astype(int) - (200, 40, 40)).sum(axis=1) < 40).all(), "a wide picture fills the width"


def test_bad_requests_are_one_line_and_exit_2(tmp_path, played_run, capsys):
    cases = [
        (["export", "gif", str(played_run), "--conversation", "zzz"], "no conversation with an id starting 'zzz'"),
        (["export", "gif", str(played_run), "--out", str(tmp_path / "x.gif")], "has 2 games"),
        (["export", "webp", str(played_run), "--seconds", "0"], "seconds per turn must be between"),
    ]
    for arguments, message in cases:
        assert main(arguments) == 2
        output = capsys.readouterr().err
        assert message in output and len(output.strip().splitlines()) == 1
    assert not (tmp_path / "x.gif").exists()


def test_cli_writes_one_game_to_a_named_file(tmp_path, played_run, capsys):
    conversation = load_run(played_run).conversations[0]
    out = tmp_path / "talk.webp"
    assert main(["export", "webp", str(played_run), "--conversation", conversation.info.id[:6], "--out", str(out)]) == 0
    assert "1 WEBP animations written" in capsys.readouterr().out
    assert len(frames_of(out)[1]) == len(conversation.turns)
    with pytest.raises(InvalidInput):
        write_animations(load_run(played_run), tmp_path / "x", "mp4")


def test_a_word_of_a_million_characters_is_drawn_cut_and_at_once(tmp_path):
    """No run holds such a text any more (10,000 characters at most), but a slide draws whatever it is given:
    measuring and trimming the word whole took seconds and drew past Pillow's largest image."""
    store = RunStore.create("game", {}, tmp_path / "run")
    info = ConversationInfo("c0ffee000002", "A cat.", "cat", "easy", "t", "i", "e", 1, 0, "2024-01-01")
    conversation = store.begin(info).conversation
    conversation.turns.append(Turn(1, "x" * 1_000_000, "t", "i", "e", None, "y" * 1_000_000))
    started = time.monotonic()
    turn_frame(conversation, conversation.turns[0])
    assert time.monotonic() - started < 5


def test_every_text_on_a_slide_is_20_px_or_more_and_long_ones_end_in_an_ellipsis(tmp_path, monkeypatch):
    """The back of a room reads every word: a long prompt, drawn text, caption and model names keep their size
    and are shortened with "…" where they do not fit; nothing is drawn past the slide's margins."""
    store = RunStore.create("game", {}, tmp_path / "run")
    long_text = "a red apple on a wooden table by a window with sunlight streaming across the room " * 6
    name = "a-model-with-a-remarkably-long-name-indeed"
    info = ConversationInfo("c0ffee000003", long_text, "apple", "easy", name, name, name, 9, 0, "2024-01-01")
    conversation = store.begin(info).conversation
    turn = Turn(2, long_text, name, name, name, None, long_text, distance_to_prompt=1.234)
    drawn: list[tuple[str, int, tuple[float, float, float, float]]] = []
    draw_text = ImageDraw.ImageDraw.text

    def recording(self, xy, text, fill=None, font=None, anchor=None, *args, **kwargs):
        drawn.append((text, font.size, self.textbbox(xy, text, font=font, anchor=anchor)))
        return draw_text(self, xy, text, fill, font, anchor, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", recording)
    turn_frame(conversation, turn).save(tmp_path / "frame.png")
    assert {size for _, size, _ in drawn} and min(size for _, size, _ in drawn) >= MIN_TEXT_PX
    for text, _, (left, top, right, bottom) in drawn:
        assert left >= MARGIN and right <= SLIDE[0] - MARGIN and top >= 0 and bottom <= SLIDE[1] - MARGIN / 2, text
    texts = [text for text, _, _ in drawn]
    assert sum(text.endswith("…") for text in texts) == 4, "the prompt, the drawn text, the caption and the models"
