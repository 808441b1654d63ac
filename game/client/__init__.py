"""The game window: app, screens, renderer, HUD, effects, settings and play sessions.

Nothing here is imported by the server, the sim or the rules (an import contract checks it).
"""
