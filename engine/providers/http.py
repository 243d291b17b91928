"""The one HTTP discipline for hosted models: timeouts, bounded retries with exponential backoff and
jitter, Retry-After honoured, typed errors, a provider's published request rate kept to; and safe
downloading of generated images."""

from __future__ import annotations

import base64
import io
import json
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Generic, TypeVar

import httpx
import pydantic
from PIL import Image, UnidentifiedImageError

from engine.errors import ProviderError
from engine.notices import report_retry
from engine.protocols import GeneratedImage
from engine.untrusted import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

T = TypeVar("T")
FORMAT_SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif"}


@dataclass(frozen=True)
class RetryPolicy:
    """How hosted calls are retried. The clients' own retries are switched off so this is the only one."""

    attempts: int = 4  # tries in all, the first included
    base_delay: float = 1.0  # seconds before the first retry; doubles each time
    max_delay: float = 20.0
    max_retry_after: float = 60.0  # a server asking for a longer wait gets a failure instead
    connect_timeout: float = 5.0
    read_timeout: float = 90.0  # a held `Prefer: wait` request lasts up to 60 s on Replicate
    deadline: float = 600.0  # a prediction still not done after this long has failed
    poll_interval: float = 1.0
    prefer_wait: int = 60  # Replicate holds a create request open up to this long (`Prefer: wait=N`)

    def delay(self, retry: int, retry_after: float | None, rng: random.Random = random._inst) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): Retry-After when the server gave one,
        otherwise exponential backoff with "equal jitter" (half fixed, half random)."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.read_timeout, connect=self.connect_timeout)


@dataclass(frozen=True)
class Retryable:
    """A classifier's verdict that a failure is worth another try (not an exception: it is returned)."""

    reason: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.reason


# A failure of a call, judged: Retryable, or the exception to raise (ModelRefused, ProviderError); None when
# the exception is not a failure of the call at all but a bug of ours, raised as it is.
Classifier = Callable[[Exception], Exception | Retryable | None]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds; HTTP dates are not worth the trust)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def call_with_retries(
    policy: RetryPolicy,
    what: str,
    operation: Callable[[], T],
    classify: Classifier,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation``; ``classify`` turns each failure of the call (transport, protocol, the service's
    answer) into Retryable, ModelRefused or ProviderError, and answers None for anything else: a bug in our
    own code, raised as it is, at once, never retried nor recorded as the model's failure.

    Retries happen at most ``policy.attempts - 1`` times; then ProviderError says what kept failing.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return operation()
        except Exception as error:  # every failure is classified; what is not the call's is re-raised
            decision = classify(error)
            if decision is None:
                raise
            if not isinstance(decision, Retryable):
                raise decision from error
            if decision.retry_after is not None and decision.retry_after > policy.max_retry_after:
                raise ProviderError(f"{what}: {decision} (asked to wait {decision.retry_after:.0f} s)") from error
            if attempt == policy.attempts:
                raise ProviderError(f"{what}: {decision} (gave up after {attempt} attempts)") from error
            wait = policy.delay(attempt, decision.retry_after)
            report_retry(what, str(decision), wait, attempt)
            sleep(wait)
    raise AssertionError("unreachable")


PROBE_POLICY = RetryPolicy(attempts=1, connect_timeout=1.0, read_timeout=2.0)  # one quick try, never retried


class ServerProbe(Generic[T]):
    """Asks a local server whether it is up (and what it serves) at most once per ``ttl`` seconds per address,
    so availability() stays cheap however many catalog entries name the server, and a server that is down is
    reported after one short try, not waited for."""

    def __init__(self, ttl: float = 15.0):
        self.ttl = ttl
        self._answers: dict[str, tuple[float, T | ProviderError]] = {}
        self._lock = threading.Lock()

    def check(self, address: str, ask: Callable[[], T], classify: Classifier) -> T | ProviderError:
        """``ask()``'s answer for ``address``, or the ProviderError it failed with (both kept for ``ttl``)."""
        with self._lock:
            kept = self._answers.get(address)
            if kept is not None and time.monotonic() - kept[0] < self.ttl:
                return kept[1]
        answer: T | ProviderError
        try:
            answer = call_with_retries(PROBE_POLICY, address, ask, classify)
        except ProviderError as error:
            answer = error
        with self._lock:
            self._answers[address] = (time.monotonic(), answer)
        return answer


class RateLimit:
    """At most ``per_minute`` requests in any minute, for every model of one provider in this process: a
    token bucket holding ``burst`` requests, refilled so that a full bucket and a minute's refill together
    stay within ``per_minute``. A request waits for its token instead of learning the limit from HTTP 429."""

    def __init__(
        self,
        per_minute: float,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.burst = min(float(burst), per_minute / 2)
        self.per_second = (per_minute - self.burst) / 60
        self._clock, self._sleep = clock, sleep
        self._tokens = self.burst
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a token, waiting for it when none is left; the seconds waited. Tokens are handed out in the
        order they are asked for: each request reserves the next one and sleeps until it is due."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.per_second)
            self._updated = now
            self._tokens -= 1
            wait = -self._tokens / self.per_second if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


_rate_limits: dict[str, RateLimit] = {}
_rate_limits_lock = threading.Lock()
_rate_share = 1.0


def share_rate_limits(share: float) -> None:
    """This process plays ``share`` of a tournament's games beside others: it keeps to that share of every
    provider's rate, so that all of them together stay under it."""
    global _rate_share
    _rate_share = share


def rate_limit(provider: str, per_minute: float | None) -> RateLimit | None:
    """The one rate limit of ``provider`` at ``per_minute`` in this process (None when the catalog gives it
    none): every model of the provider counts against it."""
    if not per_minute:
        return None
    with _rate_limits_lock:
        key = f"{provider}:{per_minute}"
        if key not in _rate_limits:
            _rate_limits[key] = RateLimit(per_minute * _rate_share)
        return _rate_limits[key]


@cache
def tls() -> ssl.SSLContext:
    """The certificates hosted servers are checked against (httpx's default), loaded once for every client
    of the process: each client loading its own cost about 50 ms of CPU, two clients a hosted model."""
    return httpx.create_ssl_context()


def verify_image(data: bytes, source: str) -> GeneratedImage:
    """Check that ``data`` is a sane image: under the byte cap, under the pixel cap, decodable."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ProviderError(f"{source}: image is {len(data) / 1e6:.1f} MB, over the {MAX_IMAGE_BYTES >> 20} MB cap")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size  # from the header: a bomb is refused before it is decoded
            if width * height > MAX_IMAGE_PIXELS:
                raise ProviderError(f"{source}: image is {width}×{height} pixels, over the {MAX_IMAGE_PIXELS} cap")
            kind = image.format
            image.load()  # decoding it whole is the check: truncated or corrupt data fails here
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ProviderError(f"{source}: not a readable image ({error})") from error
    if kind not in FORMAT_SUFFIXES:
        raise ProviderError(f"{source}: unexpected image format {kind}")
    return GeneratedImage(data, FORMAT_SUFFIXES[kind])


def decode_data_url(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if not header.startswith("data:") or ";base64" not in header:
        raise ProviderError("a data URL that is not base64")
    return base64.b64decode(payload, validate=False)


def fetch_image(url: str, policy: RetryPolicy, http: httpx.Client) -> GeneratedImage:
    """Download a generated image at once (hosted URLs expire within the hour), with the size and pixel caps."""
    if url.startswith("data:"):
        return verify_image(decode_data_url(url), "image data URL")
    if not url.startswith(("https://", "http://")):
        raise ProviderError(f"refusing to fetch an image from {url.split(':', 1)[0]}: URLs")

    def download() -> bytes:
        with http.stream("GET", url, timeout=policy.timeout()) as response:
            response.raise_for_status()
            declared = int(response.headers.get("content-length") or 0)
            if declared > MAX_IMAGE_BYTES:
                raise ProviderError(f"image download: {declared / 1e6:.1f} MB, over the {MAX_IMAGE_BYTES >> 20} MB cap")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_IMAGE_BYTES:
                    raise ProviderError(f"image download: over the {MAX_IMAGE_BYTES >> 20} MB cap")
                chunks.append(chunk)
            return b"".join(chunks)

    data = call_with_retries(policy, "image download", download, classify_httpx_error)
    return verify_image(data, "image download")


def is_malformed_response(error: Exception) -> bool:
    """A response body that is not what the client expected (not JSON, or JSON of the wrong shape): the
    service's failure, worth another try. Our own code raises none of these."""
    return isinstance(error, json.JSONDecodeError | pydantic.ValidationError | httpx.DecodingError)


def classify_httpx_error(error: Exception) -> Exception | Retryable | None:
    """Retry timeouts, dropped connections, malformed bodies, 429 and 5xx; fail on other HTTP errors; None
    (not a failure of the call: a bug of ours) for everything else."""
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, httpx.TimeoutException):
        return Retryable("timed out")
    if isinstance(error, httpx.TransportError):
        return Retryable(f"connection failed ({type(error).__name__})")
    if is_malformed_response(error):
        return Retryable(f"malformed response ({type(error).__name__})")
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        if status == 429 or status >= 500:
            return Retryable(f"HTTP {status}", parse_retry_after(error.response.headers.get("retry-after")))
        return ProviderError(f"HTTP {status}")
    if isinstance(error, httpx.HTTPError):  # too many redirects, an invalid URL from the service
        return ProviderError(f"{type(error).__name__}: {error}")
    return None
