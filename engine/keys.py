"""No key leaves memory: every text the app stores, logs, prints or draws passes ``mask_keys``.

Servers and proxies may quote a request's Authorization header in an error message; such a message becomes
a turn's error in the journal, a retry notice, a line on a projected terminal. Every environment variable
that holds a key is remembered here (each provider's, every catalog entry's ``api_key_env``) and its value
is masked wherever it appears, as is any "Bearer" credential.
"""

from __future__ import annotations

import os
import re
import threading

MIN_KEY_CHARS = 6  # a shorter value would mask ordinary words; no service issues keys that short
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
_variables = {"REPLICATE_API_TOKEN", "OPENAI_API_KEY"}  # the built-in providers' keys
_lock = threading.Lock()


def remember_key_variable(name: str) -> None:
    """``name`` is an environment variable holding a key: its value is masked from now on."""
    with _lock:
        _variables.add(name)


def masked(key: str) -> str:
    """A key as it may be shown: its first three and last four characters (``sk-…AbCd``) when it is long
    enough for that to give nothing away, else an ellipsis."""
    return f"{key[:3]}…{key[-4:]}" if len(key) >= 20 else "…"


def mask_keys(text: str) -> str:
    """``text`` with every known key's value, and any Bearer credential, masked."""
    for name in tuple(_variables):
        value = os.environ.get(name, "")
        if len(value) >= MIN_KEY_CHARS and value in text:
            text = text.replace(value, masked(value))
    return _BEARER.sub(r"\1 …", text) if "earer" in text or "EARER" in text else text
