"""Typed errors whose messages are written for the person at the keyboard, not for a traceback."""

from engine.keys import mask_keys


class TelephoneError(Exception):
    """Base of every error the engine raises on purpose. Its message never holds a key: a server's words
    quoted in it may (see ``engine.keys``)."""

    def __str__(self) -> str:
        return mask_keys(super().__str__())


class InvalidInput(TelephoneError):
    """A request the engine refuses before doing any work (empty prompt, turns out of range, ...)."""


class UnknownModel(TelephoneError):
    """A model id that the catalog does not hold; the message lists the valid ids."""


class ModelUnavailable(TelephoneError):
    """A catalogued model that cannot run here (missing key, missing package, retired)."""


class ProviderError(TelephoneError):
    """A model call that failed after the retry policy gave up (timeouts, server errors, bad responses)."""


class ModelRefused(ProviderError):
    """The model declined the input on policy grounds (content policy, NSFW filter).

    The game records it on the turn and ends that conversation as "refused at turn k".
    """


class StorageError(TelephoneError):
    """A run folder or journal that cannot be read or written; the message names the file (and line)."""


class Stopped(TelephoneError):
    """A person in the chain asked to stop instead of answering (end of input, Escape): the game ends
    "cancelled" with the turn in play unrecorded, to be played again on resume."""
