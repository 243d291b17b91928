"""The footer every screen shows: its keys in one order whatever has the focus, and only as many as the width
holds whole. The screen's own keys come first, as the screen lists them (the first is its main action), then
the app's (help, theme, quit), then the command palette's. Where the width runs short the least needed keys
go, from the end of each list, palette and theme first; help, quit and the main action always stay. Every key
is in the help screen (?) either way."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

ALWAYS_SHOWN = ("help", "quit")  # besides the screen's main action
KEY_PADDING = 3  # a space either side of the key, one after the description


Shown = tuple[tuple[str, str, bool, str], ...]  # (key, description, enabled, tooltip) of each key shown


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__(show_command_palette=False)
        self._width = 0
        self._shown: Shown = ()

    def _ordered(self) -> list[tuple[Binding, bool, str]]:
        """One binding a described action, in the footer's order; the first key bound to an action wins (a key
        an input takes for typing, such as ?, gives way to the action's other key)."""
        screen, app = self.screen, self.app
        screen_actions = [binding.action for binding in Binding.make_bindings(screen.BINDINGS) if binding.show]
        app_actions = [binding.action for binding in Binding.make_bindings(app.BINDINGS) if binding.show]
        palette = app.COMMAND_PALETTE_BINDING
        first: dict[str, tuple[Binding, bool, str]] = {}
        for key, (_, binding, enabled, tooltip) in screen.active_bindings.items():
            if (binding.show or key == palette) and binding.description and binding.action not in first:
                first[binding.action] = (binding, enabled, tooltip)

        def rank(action: str) -> tuple[int, int]:
            if action in screen_actions:
                return 0, screen_actions.index(action)
            if action in app_actions:
                return 2, app_actions.index(action)
            return (3, 0) if first[action][0].key == palette else (1, 0)  # a focused widget's own keys

        return [first[action] for action in sorted(first, key=rank)]

    def _fitted(self, ordered: list[tuple[Binding, bool, str]]) -> list[tuple[Binding, bool, str]]:
        """As many of ``ordered`` as the width holds, dropping from the end: the least needed first."""
        kept = list(ordered)
        needed = {ordered[0][0].action, *ALWAYS_SHOWN} if ordered else set()
        droppable = [entry for entry in reversed(ordered) if entry[0].action not in needed]

        def width() -> int:
            display = self.app.get_key_display
            return sum(cell_len(display(b)) + cell_len(b.description) + KEY_PADDING for b, _, _ in kept)

        while droppable and width() > self.size.width:
            kept.remove(droppable.pop(0))
        return kept

    @staticmethod
    def _what_is_shown(fitted: list[tuple[Binding, bool, str]]) -> Shown:
        return tuple((binding.key, binding.description, enabled, tooltip) for binding, enabled, tooltip in fitted)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Made again only when the keys it shows change: the bindings are "updated" at every change of focus
        and every return to the screen (from help, say), and making the footer again costs a frame or two."""
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._compose_if_changed)

    async def _compose_if_changed(self) -> None:
        if self.size.width != self._width or self._what_is_shown(self._fitted(self._ordered())) != self._shown:
            await self.recompose()

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._width = self.size.width  # (0 while hidden: it composes again when shown, at its new width)
        fitted = self._fitted(self._ordered())
        self._shown = self._what_is_shown(fitted)
        for binding, enabled, tooltip in fitted:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip or binding.tooltip,
            ).data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self.call_after_refresh(self.recompose)
