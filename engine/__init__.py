"""aitelephone's engine: models behind three protocols, the game loop, storage, metrics and exports.

This module is the engine's public face: front ends (the Textual app, the rich CLI) import only the names in
``__all__``. The modules behind it are private and may change. Nothing here imports a UI library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.analysis import CONVERGENCE_LEGEND, Analysis, LeaderboardRow, PairSummary, PlayerRow, convergence_step
from engine.attractors import ATTRACTOR_THRESHOLD, Arrival, Attractor, AttractorReport, find_attractors, run_embedder
from engine.budget import Budget, OverBudget, game_cost, parse_budget
from engine.call_times import last_call_seconds
from engine.catalog import DEFAULT_MODELS, Catalog, shipped_catalog_path, user_catalog_path
from engine.errors import (
    InvalidInput,
    ModelRefused,
    ModelUnavailable,
    ProviderError,
    Stopped,
    StorageError,
    TelephoneError,
    UnknownModel,
)
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
from engine.export.animation import ANIMATION_FORMATS, write_animations
from engine.game import (
    DEFAULT_TURNS,
    MAX_TURNS,
    MIN_TURNS,
    EmbeddingCache,
    TelephoneLine,
    parse_turns,
    play_with_callback,
    validate_turns,
)
from engine.guesses import GuessRound, clean_guess, last_picture
from engine.imagefiles import open_picture
from engine.pictures import PICTURE_LEVEL, StartPicture, load_start_picture, pictures_in
from engine.plan import PlanSummary, TournamentPlan, parse_chain, price_phrase
from engine.players import PERSON, Person, parse_lineup
from engine.prompts import (
    LEVELS,
    Prompt,
    find_prompt,
    load_prompts,
    prompt_for_text,
    shipped_prompts_path,
    user_prompts_path,
)
from engine.protocols import (
    KIND_NAMES,
    KINDS,
    LOCATION_NAMES,
    LOCATIONS,
    Availability,
    Embedder,
    GeneratedImage,
    ImageToText,
    Kind,
    Location,
    Model,
    ModelEntry,
    ModelFacts,
    Provider,
    ServerListing,
    TextToImage,
)
from engine.records import ConversationInfo, Status, Turn
from engine.rounds import MAX_GUESSES, Guess, Round
from engine.samples import sample_run
from engine.session import DEFAULT_LIMITS, RunSession
from engine.store import (
    DEFAULT_RUNS_FOLDER,
    Conversation,
    Located,
    Run,
    RunStore,
    find_runs,
    is_run,
    load_conversations,
    load_rounds,
    load_run,
    load_runs,
    locate_runs,
    start_game_run,
)
from engine.survey import ModelSurvey, SurveyedModel, UnusableGroup, listing_location, listing_note, survey_models
from engine.tournament import Tournament, TournamentProgress, TournamentResult, resume_plan, start_tournament
from engine.untrusted import shortened, terminal_safe

if TYPE_CHECKING:
    from engine.export.attractor_chart import write_attractor_chart
    from engine.export.charts import write_charts
    from engine.export.fiftyone import export_fiftyone
    from engine.export.filmstrip import Filmstrips, write_filmstrips

# Exports pull in matplotlib; they load on first use so that starting a game stays quick.
_LAZY = {
    "write_attractor_chart": "engine.export.attractor_chart",
    "write_charts": "engine.export.charts",
    "export_fiftyone": "engine.export.fiftyone",
    "Filmstrips": "engine.export.filmstrip",
    "write_filmstrips": "engine.export.filmstrip",
}

__all__ = [
    "ATTRACTOR_THRESHOLD",
    "ANIMATION_FORMATS",
    "CONVERGENCE_LEGEND",
    "DEFAULT_LIMITS",
    "DEFAULT_MODELS",
    "DEFAULT_RUNS_FOLDER",
    "DEFAULT_TURNS",
    "KINDS",
    "KIND_NAMES",
    "LEVELS",
    "LOCATIONS",
    "LOCATION_NAMES",
    "MAX_GUESSES",
    "MAX_TURNS",
    "MIN_TURNS",
    "Analysis",
    "Arrival",
    "Attractor",
    "AttractorReport",
    "Availability",
    "Budget",
    "BudgetReached",
    "CallStarted",
    "CaptionReady",
    "Catalog",
    "Conversation",
    "ConversationFinished",
    "ConversationInfo",
    "ConversationStarted",
    "DistancesReady",
    "EmbeddingCache",
    "Embedder",
    "Event",
    "Filmstrips",
    "GeneratedImage",
    "Guess",
    "GuessRound",
    "ImageReady",
    "ImageToText",
    "InvalidInput",
    "Kind",
    "LeaderboardRow",
    "Located",
    "Location",
    "Model",
    "ModelEntry",
    "ModelFacts",
    "ModelSurvey",
    "ModelRefused",
    "ModelUnavailable",
    "OverBudget",
    "PairSummary",
    "PERSON",
    "PICTURE_LEVEL",
    "Person",
    "PlayerRow",
    "PlanSummary",
    "Prompt",
    "Provider",
    "ProviderError",
    "RetryScheduled",
    "Role",
    "Round",
    "Run",
    "RunSession",
    "RunStore",
    "ServerListing",
    "Status",
    "StartPicture",
    "Stopped",
    "SurveyedModel",
    "StorageError",
    "TelephoneError",
    "TelephoneLine",
    "TextToImage",
    "Tournament",
    "TournamentPlan",
    "TournamentProgress",
    "TournamentResult",
    "Turn",
    "TurnFailed",
    "TurnStarted",
    "UnknownModel",
    "UnusableGroup",
    "build_line",
    "clean_guess",
    "convergence_step",
    "export_fiftyone",
    "find_attractors",
    "find_prompt",
    "find_runs",
    "game_cost",
    "is_run",
    "last_call_seconds",
    "last_picture",
    "listing_location",
    "listing_note",
    "load_conversations",
    "load_prompts",
    "load_rounds",
    "load_start_picture",
    "parse_chain",
    "parse_lineup",
    "pictures_in",
    "load_run",
    "load_runs",
    "locate_runs",
    "parse_budget",
    "parse_turns",
    "play_with_callback",
    "price_phrase",
    "prompt_for_text",
    "resume_plan",
    "run_embedder",
    "sample_run",
    "shipped_catalog_path",
    "shipped_prompts_path",
    "start_game_run",
    "start_tournament",
    "survey_models",
    "terminal_safe",
    "open_picture",
    "shortened",
    "user_catalog_path",
    "user_prompts_path",
    "validate_turns",
    "write_attractor_chart",
    "write_animations",
    "write_charts",
    "write_filmstrips",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def build_line(catalog: Catalog, t2i: str, i2t: str, embedder: str, person: ImageToText | None = None) -> TelephoneLine:
    """A telephone line from catalog ids: ``t2i`` and ``i2t`` one id each or lineups ("a,b"), ``you`` among
    the describers played by ``person``. InvalidInput, UnknownModel or ModelUnavailable before any call."""
    drawers = [catalog.text_to_image(model_id) for model_id in parse_lineup(t2i, "t2i", catalog)]
    describers = []
    for model_id in parse_lineup(i2t, "i2t", catalog):
        if model_id == PERSON and person is None:
            raise InvalidInput(f"{PERSON!r} (a person) plays only where someone can be asked")
        describers.append(person if model_id == PERSON and person is not None else catalog.image_to_text(model_id))
    return TelephoneLine(drawers, describers, catalog.embedder(embedder))
