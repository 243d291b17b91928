"""A single game kept and counted as a tournament's games are: its models behind the run's result cache
and a budget, so that its spending shows as it plays, and a game stopped by its budget (or killed) resumes
without paying for anything twice."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from engine.budget import Budget, call_price
from engine.cache import CachedEmbedder, CachedImageToText, CachedTextToImage, ResultCache
from engine.catalog import Catalog
from engine.game import TelephoneLine
from engine.protocols import Kind
from engine.store import RunStore


def metered_line(
    line: TelephoneLine, catalog: Catalog, store: RunStore, budget: float | None = None
) -> tuple[TelephoneLine, Budget]:
    """``line``'s models behind ``store``'s result cache, each call priced from the catalog and allowed by a
    budget capped at ``budget`` USD for the whole run (None: counted, not capped); and that budget."""
    cache = ResultCache(store.cache_folder)
    spending = Budget(budget, spent=cache.spent())

    def kept(model: Any, kind: Kind) -> dict[str, Any]:
        entry = catalog.get(model.model_id, kind)
        price = call_price(catalog, model.model_id)
        return {"model": model, "ref": entry.ref, "gate": nullcontext(), "cache": cache, "price": price}

    metered = TelephoneLine(
        CachedTextToImage(**kept(line.t2i, "t2i"), budget=spending),
        CachedImageToText(**kept(line.i2t, "i2t"), budget=spending),
        CachedEmbedder(**kept(line.embedder, "embed"), budget=spending),
    )
    return metered, spending
