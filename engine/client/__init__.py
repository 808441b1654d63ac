"""The engine's pygame layer: display, input, audio, sprites, the state stack, UI widgets.

The only part of the engine that imports pygame (installed with the `client` extra); the rest
of `engine` is a headless core that a server or a headless runner loads without SDL.
"""
