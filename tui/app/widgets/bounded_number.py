"""A field for a whole number in a range that refuses, as it is typed, a key (or a paste) that would take the
number out of its range, and says why beside the field: "407" never appears where 100 is the most."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.message import Message
from textual.widgets import Input, Label


class WholeNumberInput(Input):
    """Digits only, never past ``maximum`` nor with a leading zero; ``reason`` says why the last key was refused
    (empty once one is taken), and a ``Refused`` message carries it up."""

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, value: int, minimum: int, maximum: int, *, id: str | None = None) -> None:
        super().__init__(str(value), id=id, type="integer", max_length=len(str(maximum)))
        self.minimum, self.maximum = minimum, maximum
        self.reason = ""

    def refusal(self, value: str) -> str:
        """Why ``value`` cannot be typed (a part-typed number that may still grow into range is fine)."""
        if value and not value.isdigit():
            return "digits only"
        if value and int(value) > self.maximum:
            return f"at most {self.maximum}"
        if value.startswith("0"):
            return f"at least {self.minimum}"
        return ""

    def replace(self, text: str, start: int, end: int) -> None:
        start, end = sorted((max(0, start), min(len(self.value), end)))
        reason = self.refusal(f"{self.value[:start]}{text}{self.value[end:]}")
        if reason:
            self._refused(reason)
            return
        super().replace(text, start, end)
        self._refused("")

    def _refused(self, reason: str) -> None:
        if reason:
            self.restricted()  # the bell
        if reason != self.reason:
            self.reason = reason
            self.post_message(self.Refused(reason))


class BoundedNumber(HorizontalGroup):
    """A ``WholeNumberInput`` with its refusal's reason just to its right."""

    DEFAULT_CSS = """
    BoundedNumber { width: auto; }
    BoundedNumber > Label { display: none; width: auto; padding: 1 1 0 0; color: $text-error; text-style: bold; }
    """

    def __init__(self, value: int, minimum: int, maximum: int, *, input_id: str) -> None:
        super().__init__()
        self.field = WholeNumberInput(value, minimum, maximum, id=input_id)

    def compose(self) -> ComposeResult:
        yield self.field
        yield Label()

    def on_whole_number_input_refused(self, message: WholeNumberInput.Refused) -> None:
        reason = self.query_one(Label)
        reason.update(message.reason)
        reason.display = bool(message.reason)
