"""The models that can play here, and why the others cannot: every catalog entry and every model the user's
servers hold, grouped by where it runs (on this machine, your servers, hosted), usable ones first, the others
folded per provider with their reason said once. The picker and `aitelephone models` show the same survey.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from engine.catalog import Catalog
from engine.protocols import LOCATIONS, Availability, Kind, Location, ModelEntry, ModelFacts, ServerListing


@dataclass(frozen=True)
class SurveyedModel:
    entry: ModelEntry
    status: Availability
    facts: ModelFacts

    @property
    def discovered(self) -> bool:
        """Found on a server rather than written in a catalog file."""
        return "/" in self.entry.id


@dataclass(frozen=True)
class UnusableGroup:
    """The models of one provider, in one place, that cannot play here."""

    location: Location
    provider: str
    models: tuple[SurveyedModel, ...]

    @property
    def summary(self) -> str:
        """The reason said once: "set REPLICATE_API_TOKEN for 14 models"; several reasons, most common first.
        A reason naming its model's reference (`ollama pull llava`) is said once for all with MODEL there."""
        reasons = Counter(model.status.reason.replace(model.entry.ref, "MODEL") for model in self.models)
        if len(reasons) == 1:
            (reason,) = reasons
            return f"{reason} for {_models(len(self.models))}"
        said = "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common())
        return f"{_models(len(self.models))}: {said}"


def _models(count: int) -> str:
    return f"{count} model" if count == 1 else f"{count} models"


@dataclass(frozen=True)
class ModelSurvey:
    models: tuple[SurveyedModel, ...]  # by place, usable ones first, then in catalog order
    listings: tuple[ServerListing, ...]

    def usable(self, kind: Kind | None = None, location: Location | None = None) -> list[SurveyedModel]:
        return [model for model in self._of(kind, location) if model.status.ok]

    def unusable(self, kind: Kind | None = None, location: Location | None = None) -> list[UnusableGroup]:
        """The models that cannot play, one group per provider (in the order their first model comes)."""
        groups: dict[str, list[SurveyedModel]] = {}
        for model in self._of(kind, location):
            if not model.status.ok:
                groups.setdefault(model.entry.provider, []).append(model)
        return [UnusableGroup(models[0].facts.location, name, tuple(models)) for name, models in groups.items()]

    def _of(self, kind: Kind | None, location: Location | None) -> list[SurveyedModel]:
        return [
            model
            for model in self.models
            if (kind is None or model.entry.kind == kind) and (location is None or model.facts.location == location)
        ]

    def problems(self, location: Location | None = None) -> list[ServerListing]:
        """The servers that could not be listed, or that left models out, in ``location``."""
        return [
            listing
            for listing in self.listings
            if (listing.problem or listing.left_out) and (location is None or listing_location(listing) == location)
        ]


def listing_location(listing: ServerListing) -> Location:
    """A server of the user's own, or a hosted service when what it lists needs a key."""
    return "hosted" if listing.problem.startswith("set ") else "server"


def listing_note(listing: ServerListing) -> str:
    """One line about a server's listing: why it could not be read, and how many models were left out."""
    parts = [listing.problem] if listing.problem else []
    if listing.left_out:
        parts.append(f"{_models(listing.left_out)} it lists not offered (odd names, or past the first ones)")
    return f"{listing.provider} at {listing.address}: " + "; ".join(parts)


def survey_models(catalog: Catalog, discover: bool = True) -> ModelSurvey:
    """Every model of ``catalog`` (with the servers' models, when ``discover``) and whether it can play here.
    It may wait on slow servers: call it from a worker, not a screen's event loop."""
    listings = catalog.discover() if discover else catalog.listings
    models = [SurveyedModel(entry, catalog.availability(entry), catalog.facts(entry)) for entry in catalog.entries()]
    place = {location: index for index, location in enumerate(LOCATIONS)}
    models.sort(key=lambda model: (place[model.facts.location], not model.status.ok))  # a stable sort
    return ModelSurvey(tuple(models), listings)
