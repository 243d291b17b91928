"""Terminal front ends over the engine: the Textual app and the headless rich CLI."""
