"""What the hosted providers share: the instruction given to captioners, input templates from the catalog,
reading text outputs, and images as data URLs from the stored file."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from engine.errors import ModelUnavailable, ProviderError
from engine.imagefiles import read_image
from engine.keys import remember_key_variable
from engine.protocols import Availability, ModelEntry

INSTRUCTION = "Write a detailed description of this image."
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def key_availability(entry: ModelEntry, key_name: str) -> Availability:
    """A hosted entry can run when it is not retired and its key is in the environment."""
    remember_key_variable(key_name)
    if entry.options.get("retired"):
        return Availability(False, f"retired on {entry.options['retired']}")
    if not os.environ.get(key_name):
        return Availability(False, f"set {key_name}")
    return Availability(True)


def require_key(entry: ModelEntry, key_name: str) -> str:
    """The key a hosted model needs. Retirement is not checked here: the catalog refuses retired models,
    while a gateway that still serves one can be reached by building it directly."""
    remember_key_variable(key_name)
    key = os.environ.get(key_name)
    if not key:
        raise ModelUnavailable(f"{entry.name} is unavailable: set {key_name}")
    return key


def image_data_url(image: Path) -> str:
    """The stored image file as a data URL (made once per image): a replay never depends on a provider's
    expiring URL."""
    return read_image(image).data_url


def fill_template(template: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A catalog input template with its placeholders ("{text}", "{image}", "{instruction}", "{seed}") that are
    named in ``values`` filled in; other placeholders and values as they are."""
    filled = {}
    for field, value in template.items():
        if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in values:
            filled[field] = values[value[1:-1]]
        else:
            filled[field] = value
    return filled


def read_text(output: Any, strip_prefix: str = "") -> str:
    """A captioner's output as one string: a string, or a list/stream of tokens joined. A lone surrogate (JSON
    allows "\\ud800") becomes U+FFFD: the caption must be writable to the journal as UTF-8."""
    if isinstance(output, list):
        output = "".join(str(part) for part in output)
    if not isinstance(output, str) or not output.strip():
        raise ProviderError(f"expected a caption, got {type(output).__name__}")
    text = LONE_SURROGATE.sub("\ufffd", output).strip()
    if strip_prefix and text.lower().startswith(strip_prefix.lower()):
        text = text[len(strip_prefix) :].strip()
    return text


def first_url(output: Any) -> str:
    """A text→image output: a URL string, or a list whose first item is one."""
    if isinstance(output, list) and output:
        output = output[0]
    if not isinstance(output, str):
        raise ProviderError(f"expected an image URL, got {type(output).__name__}")
    return output
