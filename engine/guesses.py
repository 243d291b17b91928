"""Play with the room: a game is shown by its last picture alone, the room guesses its prompt, and each guess is
scored at once by the game's own embedder on the game's scale (cosine distance to the prompt, 0 to 2); then the
chain is revealed. A round is kept beside its run as it goes (``store.save_round``): the run itself never
changes, and the shipped sample is never written to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.errors import InvalidInput, StorageError
from engine.game import EmbeddingCache
from engine.metrics import cosine_distance
from engine.protocols import Embedder
from engine.records import Turn
from engine.rounds import MAX_GUESSES, Guess, Round
from engine.samples import sample_run
from engine.store import Conversation, filmstrips_folder, new_round_id, now_iso, save_round
from engine.untrusted import SHOWN_CHARS, shortened, terminal_safe


def clean_guess(text: str) -> str | None:
    """What a person typed as a guess, made plain: control and invisible characters removed, each run of white
    space one space, at most SHOWN_CHARS long; None when nothing is left (the guess is ignored)."""
    plain = " ".join(terminal_safe(text).split())
    return shortened(plain, SHOWN_CHARS) if plain else None


def last_picture(conversation: Conversation) -> Turn | None:
    """The last turn of ``conversation`` with a picture: what the room sees. None when it has none."""
    return next((turn for turn in reversed(conversation.turns) if turn.image), None)


class GuessRound:
    """One round of guesses at one game's prompt. Safe to use from several threads (a guess is scored in a
    worker while the next is typed): one embedder call at a time, and the record and its file change together.

    ``embedder`` gives the game's embedder when first needed (building a model may take seconds)."""

    def __init__(self, conversation: Conversation, embedder: Callable[[], Embedder]):
        if last_picture(conversation) is None:
            raise InvalidInput(f"{conversation.info.id}: this game has no picture to guess from")
        self.conversation = conversation
        self._embedder = embedder
        self._embeddings: EmbeddingCache | None = None
        self._embedding = threading.Lock()
        self._lock = threading.Lock()  # the record and its file
        info = conversation.info
        self.not_kept: str | None = None  # why the round is not kept beside its run, where it is not
        round_id = f"sample-{info.id}"
        if conversation.run_folder.resolve() == sample_run().resolve():
            self.not_kept = "the shipped sample is never written to"
        else:
            try:
                round_id = new_round_id(conversation.run_folder, info.id)
            except StorageError as error:
                self.not_kept = str(error)
        self._record = Round(round_id, info.id, info.embedder, now_iso())

    @property
    def record(self) -> Round:
        with self._lock:
            return self._record

    def _vector(self, text: str) -> np.ndarray:
        with self._embedding:
            if self._embeddings is None:
                self._embeddings = EmbeddingCache(self._embedder())
            return self._embeddings.text(text)

    def warm_up(self) -> None:
        """Build the embedder and embed the prompt, so that the first guess is scored at once."""
        self._vector(self.conversation.info.prompt)

    def score(self, text: str) -> float:
        """The cosine distance of ``text`` to the prompt, both embedded as the game embeds its prompt.
        ProviderError (or another TelephoneError) when the embedder fails or gives a vector that cannot be
        measured."""
        return cosine_distance(self._vector(text), self._vector(self.conversation.info.prompt))

    def guess(self, text: str) -> Guess | None:
        """Score a guess and add it to the round; None (nothing added) for one of only white space or control
        characters. InvalidInput once the round holds MAX_GUESSES."""
        plain = clean_guess(text)
        if plain is None:
            return None
        distance = self.score(plain)
        with self._lock:
            if len(self._record.guesses) >= MAX_GUESSES:
                raise InvalidInput(f"a round takes at most {MAX_GUESSES} guesses: reveal the prompt")
            guess = Guess(plain, distance, now_iso())
            self._record = self._record.adding(guess)
        return guess

    def reveal(self) -> Round:
        """Mark the prompt as shown (the first time only)."""
        with self._lock:
            if self._record.revealed is None:
                self._record = replace(self._record, revealed=now_iso())
            return self._record

    def save(self) -> Path | None:
        """Write the round as it is now beside its run; None where it is not kept (see ``not_kept``).
        StorageError naming the file when it cannot be written."""
        if self.not_kept is not None:
            return None
        with self._lock:
            try:
                return save_round(self.conversation.run_folder, self._record)
            except OSError as error:  # a run one may not write to, a full disk
                raise StorageError(
                    f"{error.filename or self.conversation.run_folder}: {error.strerror or error}"
                ) from error

    def filmstrip(self, scratch: Path) -> Path:
        """The run's filmstrip of this game, drawn if missing or out of date; drawn into ``scratch`` instead
        where the run is not written to. StorageError when it cannot be drawn."""
        from engine.export.filmstrip import write_filmstrips  # its process pool is not worth importing at start

        folder = scratch if self.not_kept is not None else filmstrips_folder(self.conversation.run_folder)
        try:
            return write_filmstrips([self.conversation], folder)[0]
        except OSError as error:
            raise StorageError(f"{error.filename or folder}: {error.strerror or error}") from error
