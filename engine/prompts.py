"""The prompt catalog: prompts graded easy / medium / hard / impossible, shipped and user-extensible."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from engine.config import read_toml, user_config_dir
from engine.errors import InvalidInput, StorageError
from engine.untrusted import MAX_TEXT_CHARS, plain_name, terminal_safe

LEVELS = ("easy", "medium", "hard", "impossible")


@dataclass(frozen=True)
class Prompt:
    id: str
    level: str
    text: str


SHIPPED_PROMPTS = "prompts.toml"


def user_prompts_path() -> Path:
    """Where a user's own prompt file lives."""
    return user_config_dir() / "prompts.toml"


def shipped_prompts_path() -> str:
    """Where the prompts shipped in the package are (for `prompts --paths`; inside a wheel too)."""
    return str(resources.files("engine").joinpath(SHIPPED_PROMPTS))


def _parse(text: str, source: str) -> list[Prompt]:
    data = read_toml(text, source)
    prompts = []
    for index, raw in enumerate(data.get("prompt", []), start=1):
        if not {"id", "level", "text"} <= raw.keys():
            raise StorageError(f"{source}: prompt #{index} needs id, level and text")
        if raw["level"] not in LEVELS:
            raise StorageError(f"{source}: prompt {raw['id']!r} has level {raw['level']!r}; use one of {LEVELS}")
        plain_name(raw["id"], f"{source}: prompt #{index} id")  # ids name files in runs
        prompts.append(Prompt(raw["id"], raw["level"], validate_prompt_text(raw["text"])))
    return prompts


def load_prompts(user_file: Path | None = None) -> list[Prompt]:
    """Shipped prompts in level order, then the user's (a user prompt with a shipped id replaces it)."""
    shipped = resources.files("engine").joinpath(SHIPPED_PROMPTS).read_text(encoding="utf-8")
    prompts = {prompt.id: prompt for prompt in _parse(shipped, "engine/prompts.toml")}
    path = user_file if user_file is not None else user_prompts_path()
    if path.is_file():
        prompts |= {prompt.id: prompt for prompt in _parse(path.read_text(encoding="utf-8"), str(path))}
    return sorted(prompts.values(), key=lambda prompt: LEVELS.index(prompt.level))


def find_prompt(prompt_id: str, prompts: list[Prompt]) -> Prompt:
    for prompt in prompts:
        if prompt.id == prompt_id:
            return prompt
    raise InvalidInput(f"unknown prompt id {prompt_id!r}; choose one of: {', '.join(p.id for p in prompts)}")


def validate_prompt_text(text: str) -> str:
    """The prompt without control or invisible format characters and with its spaces collapsed; one with
    nothing left, or past the length a run keeps, is refused."""
    cleaned = " ".join(terminal_safe(text).split())
    if not cleaned:
        raise InvalidInput("the prompt is empty; give some text to draw")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise InvalidInput(f"the prompt is {len(cleaned):,} characters; at most {MAX_TEXT_CHARS:,} are kept")
    return cleaned


def prompt_for_text(text: str, prompts: list[Prompt]) -> Prompt:
    """The catalog prompt with this text, or a typed one (level "custom")."""
    cleaned = validate_prompt_text(text)
    for prompt in prompts:
        if prompt.text == cleaned:
            return prompt
    return Prompt("custom", "custom", cleaned)
