"""The game loop: a telephone line passes a picture along its players, model or person, and measures drift."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.budget import OverBudget
from engine.errors import InvalidInput, ModelRefused, ProviderError, Stopped
from engine.events import (
    BudgetReached,
    CallStarted,
    CaptionReady,
    ConversationFinished,
    ConversationStarted,
    DistancesReady,
    Event,
    ImageReady,
    RetryScheduled,
    Role,
    TurnFailed,
    TurnStarted,
)
from engine.metrics import clean_caption, cosine_distance, unusable
from engine.notices import retries_reported_to
from engine.pictures import StartPicture
from engine.prompts import Prompt
from engine.protocols import Embedder, ImageToText, TextToImage
from engine.records import ConversationInfo, Status, Turn, lineup
from engine.store import Journal, RunStore, conversation_id, now_iso
from engine.untrusted import MAX_TEXT_CHARS, shortened

MIN_TURNS, MAX_TURNS = 1, 100
DEFAULT_TURNS = 10
log = logging.getLogger(__name__)


def validate_turns(turns: int) -> int:
    if not MIN_TURNS <= turns <= MAX_TURNS:
        raise InvalidInput(f"turns must be between {MIN_TURNS} and {MAX_TURNS}, not {turns}")
    return turns


def parse_turns(text: str) -> int:
    """The number of turns a person typed; InvalidInput says what is wrong with it."""
    try:
        turns = int(text.strip())
    except ValueError:
        raise InvalidInput(f"turns must be a whole number from {MIN_TURNS} to {MAX_TURNS}, not {text!r}") from None
    return validate_turns(turns)


def turn_seed(seed: int, step: int) -> int:
    """Each turn's own seed, derived from the game's seed and sent to both models where they take one, so a
    game played again with the same seed sends the same inputs."""
    return int(hashlib.sha256(f"{seed}:{step}".encode()).hexdigest()[:8], 16)


class EmbeddingCache:
    """Text and image embeddings by key, shared by games (a prompt is embedded once, not once per game).
    It keeps the latest ``size`` vectors, so a long tournament does not grow."""

    def __init__(self, embedder: Embedder, size: int = 1024):
        self.embedder = embedder
        self.size = size
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def text(self, text: str) -> np.ndarray:
        return self._get(("text", text), lambda: self.embedder.embed_texts([text])[0])

    def image(self, path: Path) -> np.ndarray:
        return self._get(("image", str(path)), lambda: self.embedder.embed_images([path])[0])

    def _get(self, key: tuple[str, str], compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The vector for ``key``; ProviderError for one that could not be measured against the others (a
        model's or a result cache's vector of zeros, of NaN, of another length): a failed turn, never a NaN
        in a journal. Another length empties what is held: the vectors held may be the wrong ones."""
        with self._lock:
            if key in self._vectors:
                self._vectors.move_to_end(key)
                return self._vectors[key]
        vector = np.asarray(compute(), dtype=np.float64)  # as every distance measures it: converted once, here
        with self._lock:
            held = next(iter(self._vectors.values()), None)
            problem = unusable(vector, None if held is None else held.size)
            if problem is not None:
                self._vectors.clear()
                raise ProviderError(f"{self.embedder.model_id}: an embedding of {problem}; play on to ask again")
            vector = self._vectors.setdefault(key, vector)
            if len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
            return vector


@dataclass(frozen=True)
class _Ending:
    """How the turns stopped: the conversation's final status and what to say about it."""

    status: Status
    detail: str = ""


# A generator that yields events and, when done, returns how the game ended.
_Turns = Generator[Event, None, _Ending]


class TelephoneLine:
    """Text→image models (drawers) and image→text models (describers) taking turns in order, measured by one
    embedder: turn k is drawn by the k-th drawer and described by the k-th describer, each list starting
    over when it runs out (drawers a, b and describers c, d play a→c→b→d→a…). A pair is a lineup of one each.

    A game started from a picture has a turn 0: the picture, described by the first describer; the
    describers' order then goes on from there."""

    def __init__(
        self,
        t2i: TextToImage | Sequence[TextToImage],
        i2t: ImageToText | Sequence[ImageToText],
        embedder: Embedder,
        embeddings: EmbeddingCache | None = None,
    ):
        self.drawers: tuple[TextToImage, ...] = tuple(t2i) if isinstance(t2i, Sequence) else (t2i,)
        self.describers: tuple[ImageToText, ...] = tuple(i2t) if isinstance(i2t, Sequence) else (i2t,)
        if not self.drawers or not self.describers:
            raise InvalidInput("a game needs at least one text→image and one image→text player")
        self.embedder = embedder
        self.embeddings = embeddings or EmbeddingCache(embedder)

    @property
    def t2i(self) -> str:
        """The drawers as a run records them ("a" or "a,b")."""
        return lineup([model.model_id for model in self.drawers])

    @property
    def i2t(self) -> str:
        """The describers as a run records them ("c" or "you,c")."""
        return lineup([model.model_id for model in self.describers])

    def drawer(self, step: int) -> TextToImage:
        return self.drawers[(step - 1) % len(self.drawers)]

    def describer(self, step: int, from_picture: bool) -> ImageToText:
        """Who describes turn ``step``: in a game from a picture, turn 0's describer is the first."""
        return self.describers[(step if from_picture else step - 1) % len(self.describers)]

    def conversation_id(self, start: Prompt | StartPicture, turns: int, seed: int) -> str:
        """The id of the conversation this line plays from ``start``: see ``engine.store.conversation_id``."""
        picture = start.digest if isinstance(start, StartPicture) else None
        return conversation_id(
            t2i=self.t2i,
            i2t=self.i2t,
            embedder=self.embedder.model_id,
            # A picture is known by its bytes, whatever its file's name.
            prompt=start.text if isinstance(start, Prompt) else "",
            turns=turns,
            seed=seed,
            picture=picture,
        )

    def play(
        self,
        start: Prompt | StartPicture,
        turns: int,
        store: RunStore,
        *,
        seed: int = 0,
        cancel: threading.Event | None = None,
        on_retry: Callable[[RetryScheduled], None] | None = None,
    ) -> Iterator[Event]:
        """Play (or resume) the conversation from a prompt or a picture, yielding events as it goes. Every
        finished turn is journaled before the next model call, so stopping at any point loses at most the
        call in flight.

        A retry wait is reported to ``on_retry`` the moment it starts (a front end shows it while it lasts);
        without ``on_retry`` it is yielded once the call is over.
        """
        validate_turns(turns)
        picture = start if isinstance(start, StartPicture) else None
        prompt = start.prompt if isinstance(start, StartPicture) else start
        info = ConversationInfo(
            id=self.conversation_id(start, turns, seed),
            prompt=prompt.text,
            prompt_id=prompt.id,
            level=prompt.level,
            t2i=self.t2i,
            i2t=self.i2t,
            embedder=self.embedder.model_id,
            turns=turns,
            seed=seed,
            created=now_iso(),
            start_picture=picture.digest if picture else None,
        )
        journal = store.begin(info)
        conversation = journal.conversation
        played = [turn for turn in conversation.turns if turn.error is None]
        yield ConversationStarted(info.id, prompt.text, turns, len(played) + 1)
        if conversation.complete:
            ending = _Ending(conversation.info.status, conversation.info.detail)
        else:
            game = _Game(self, journal, prompt, picture, turns, seed, cancel, on_retry)
            try:
                ending = yield from game.play(played)
            finally:  # an error, or a consumer that stops listening (the generator closed)
                journal.close()
            journal.finish(ending.status, ending.detail)
            log.info("conversation %s %s %s", info.id, ending.status, ending.detail)
        good_turns = sum(1 for turn in conversation.turns if turn.error is None)
        yield ConversationFinished(info.id, ending.status, ending.detail, good_turns)


class _Game:
    """One conversation in play: the turns from where it stands to the end, cancellation or a failure."""

    def __init__(
        self,
        line: TelephoneLine,
        journal: Journal,
        prompt: Prompt,
        picture: StartPicture | None,
        turns: int,
        seed: int,
        cancel: threading.Event | None,
        on_retry: Callable[[RetryScheduled], None] | None,
    ):
        self.line, self.journal, self.prompt, self.turns, self.seed = line, journal, prompt, turns, seed
        self.picture = picture
        self.cancel = cancel or threading.Event()
        self.on_retry = on_retry
        self.cid = journal.conversation.info.id
        self.retries: list[RetryScheduled] = []  # waits to yield after the call, when nobody listens live
        self.step = 0

    def play(self, played: list[Turn]) -> _Turns:
        self.step = len(played) + 1  # the turn in play, for a budget stop
        try:
            return (yield from self._turns(played))
        except OverBudget as stop:  # nothing of the turn was paid for and lost: answers are in the result cache
            yield BudgetReached(self.cid, self.step, stop.spent, stop.cap, stop.price)
            return _Ending("capped", f"capped at turn {self.step}: {stop}")
        except Stopped:  # a person stopped instead of answering: the turn is played again on resume
            return _Ending("cancelled", f"stopped during turn {self.step}")

    def _turns(self, played: list[Turn]) -> _Turns:
        conversation = self.journal.conversation
        if self.picture is not None and (conversation.start is None or conversation.start.error is not None):
            self.step = 0
            ending = yield from self._describe_picture(self.picture)
            if ending is not None:
                return ending
        start = conversation.start if self.picture is not None else None
        reference = (start.caption or "") if start is not None else self.prompt.text
        try:  # a game from a picture is measured against the picture's first description
            prompt_vector = yield from self._embed(0, clean_caption(reference) if start else reference)
            previous_vector = prompt_vector
            if played:
                previous_vector = yield from self._embed(0, clean_caption(played[-1].caption or ""))
        except ProviderError as error:
            status: Status = "refused" if isinstance(error, ModelRefused) else "failed"
            return _Ending(status, f"{status} before turn {len(played) + 1}, embedding the prompt: {error}")
        start_image = conversation.image_path(start) if start is not None else None
        previous_image = conversation.image_path(played[-1]) if played else start_image
        text = (played[-1].caption or "") if played else reference
        for step in range(len(played) + 1, self.turns + 1):
            self.step = step
            if self.cancel.is_set():
                return _Ending("cancelled", f"cancelled after turn {step - 1}")
            yield TurnStarted(self.cid, step, text)
            seed = turn_seed(self.seed, step)
            drawer, describer = self.line.drawer(step), self.line.describer(step, start is not None)
            base = Turn(
                step=step,
                text=text,
                t2i=drawer.model_id,
                i2t=describer.model_id,
                embedder=self.line.embedder.model_id,
                t2i_inputs=drawer.inputs(seed),
                i2t_inputs=describer.inputs(seed),
                reproducible=drawer.reproducible and describer.reproducible,
                person=describer.by_person,
            )
            image: Path | None = None
            try:
                image, t2i_seconds = yield from self._draw(base, drawer)
                if self.cancel.is_set():
                    return _Ending("cancelled", f"cancelled during turn {step}")
                drawn = replace(base, image=str(image.relative_to(conversation.folder)), t2i_seconds=t2i_seconds)
                references = _References(prompt_vector, previous_vector, previous_image, start_image)
                turn = yield from self._describe(drawn, describer, image, references)
            except ProviderError as error:
                return (yield from self._failed(base, error, image))
            yield DistancesReady(self.cid, turn, image)
            text, previous_image = turn.caption or "", image
            previous_vector = self.line.embeddings.text(clean_caption(text))
        return _Ending("finished")

    def _describe_picture(self, picture: StartPicture) -> Generator[Event, None, _Ending | None]:
        """Turn 0 of a game from a picture: the picture stored in the run, described by the first describer.
        None once it is journaled; how the game ended when it could not be described."""
        conversation = self.journal.conversation
        describer = self.line.describer(0, from_picture=True)
        yield TurnStarted(self.cid, 0, "")
        image = self.journal.save_image(0, picture.image)
        yield ImageReady(self.cid, 0, image, 0.0)
        base = Turn(
            step=0,
            text="",
            t2i="",
            i2t=describer.model_id,
            embedder=self.line.embedder.model_id,
            image=str(image.relative_to(conversation.folder)),
            i2t_inputs=describer.inputs(turn_seed(self.seed, 0)),
            reproducible=describer.reproducible,
            person=describer.by_person,
        )
        try:
            caption, seconds = yield from self._caption(0, describer, image)
        except ProviderError as error:
            return (yield from self._failed(base, error, image))
        turn = replace(base, caption=caption, i2t_seconds=round(seconds, 4))
        self.journal.append(turn)
        yield DistancesReady(self.cid, turn, image)
        return None

    def _failed(self, base: Turn, error: ProviderError, image: Path | None) -> _Turns:
        """Journal a turn a model refused or failed; the game ends there."""
        said = shortened(str(error), MAX_TEXT_CHARS)
        failed = replace(base, error=said, refused=isinstance(error, ModelRefused))
        self.journal.append(failed)
        yield TurnFailed(self.cid, failed, image)
        return _Ending(failed.failure or "failed", f"{failed.failure} at turn {base.step}: {error}")

    def _embed(self, step: int, text: str) -> Generator[Event, None, np.ndarray]:
        embedder = self.line.embedder
        vector: np.ndarray = yield from self._call(step, "embed", embedder.model_id, self.line.embeddings.text, text)
        return vector

    def _call(
        self, step: int, role: Role, model_id: str, call: Callable[..., Any], *args: Any
    ) -> Generator[Event, None, Any]:
        """Make one model call, announced before and with its retry waits reported."""
        yield CallStarted(self.cid, step, role, model_id)

        def heard(reason: str, seconds: float, attempt: int) -> None:
            event = RetryScheduled(self.cid, step, role, model_id, reason, seconds, attempt)
            if self.on_retry is not None:
                self.on_retry(event)
            else:
                self.retries.append(event)

        try:
            with retries_reported_to(heard):
                result = call(*args)
        finally:
            waits, self.retries = self.retries, []
        yield from waits
        return result

    def _draw(self, base: Turn, drawer: TextToImage) -> Generator[Event, None, tuple[Path, float]]:
        """Draw the turn's text and store the image at once; the image's path and the seconds it took."""
        step = base.step
        started = time.perf_counter()
        generated = yield from self._call(
            step, "t2i", drawer.model_id, lambda: drawer.generate(base.text, seed=turn_seed(self.seed, step))
        )
        image = self.journal.save_image(step, generated)
        seconds = round(time.perf_counter() - started, 4)
        yield ImageReady(self.cid, step, image, seconds)
        return image, seconds

    def _caption(self, step: int, describer: ImageToText, image: Path) -> Generator[Event, None, tuple[str, float]]:
        """The describer's caption of ``image``, cut to what a run keeps of a text, and the seconds it took."""
        started = time.perf_counter()
        caption: str = yield from self._call(
            step, "i2t", describer.model_id, lambda: describer.describe(image, seed=turn_seed(self.seed, step))
        )
        seconds = time.perf_counter() - started
        caption = shortened(caption, MAX_TEXT_CHARS)  # what a run keeps of a text (and the next turn draws)
        yield CaptionReady(self.cid, step, caption, seconds)
        return caption, seconds

    def _describe(
        self, drawn: Turn, describer: ImageToText, image: Path, references: _References
    ) -> Generator[Event, None, Turn]:
        """Caption the image, measure the caption (and the image, where the embedder takes images), journal it."""
        line, step = self.line, drawn.step
        caption, i2t_seconds = yield from self._caption(step, describer, image)
        caption_vector = yield from self._embed(step, clean_caption(caption))
        image_to_prompt = image_to_previous = image_to_start = None
        if line.embedder.takes_images:

            def image_vector(path: Path) -> Generator[Event, None, np.ndarray]:
                vector: np.ndarray = yield from self._call(
                    step, "embed", line.embedder.model_id, line.embeddings.image, path
                )
                return vector

            vector = yield from image_vector(image)
            image_to_prompt = cosine_distance(vector, references.prompt)
            if references.previous_image is not None:
                image_to_previous = cosine_distance(vector, (yield from image_vector(references.previous_image)))
            if references.start_image is not None:
                image_to_start = cosine_distance(vector, (yield from image_vector(references.start_image)))
        turn = replace(
            drawn,
            caption=caption,
            i2t_seconds=round(i2t_seconds, 4),
            distance_to_prompt=cosine_distance(caption_vector, references.prompt),
            distance_to_previous=cosine_distance(caption_vector, references.previous),
            image_to_prompt=image_to_prompt,
            image_to_previous_image=image_to_previous,
            image_to_start_image=image_to_start,
        )
        self.journal.append(turn)
        return turn


@dataclass(frozen=True)
class _References:
    """What a turn is measured against: the prompt (or a picture's first description), the previous caption,
    and the previous and the start pictures where there are some."""

    prompt: np.ndarray
    previous: np.ndarray
    previous_image: Path | None
    start_image: Path | None


def play_with_callback(
    line: TelephoneLine,
    prompt: Prompt | StartPicture,
    turns: int,
    store: RunStore,
    on_event: Callable[[Event], None],
    **options: Any,
) -> None:
    """Play a game and hand each event to ``on_event`` (for front ends that prefer callbacks); retry waits
    reach it the moment they start."""
    for event in line.play(prompt, turns, store, on_retry=on_event, **options):
        on_event(event)
