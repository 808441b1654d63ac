"""The lobby: `python -m game.lobby --key-file KEY ...`, an HTTP service that places players
(alone or as a party of up to four) on a game server with room and hands each a connect
token for it, valid 30 s.

    api       the HTTP service (FastAPI on uvicorn): POST /v1/match, GET /v1/servers,
              /healthz, /metrics, /openapi.json; rate limits per address; JSON errors
    backend   what an allocation backend is (`Allocator`), a party, a placement, the errors
    local     the local backend: a fleet of `game.server` processes on this machine, each
              beside an Agones SDK stand-in, started, watched and replaced by the lobby
    agones    the Agones backend: a GameServerAllocation through the Kubernetes API
    metrics   the lobby's Prometheus metrics
    client    asking a lobby for a match without blocking (the window's Quick match, bots);
              standard library only, so a player's install needs nothing more

Only `client` is imported by the window; the rest needs the `lobby` extra
(`pip install cloudbreak[lobby]`). Nothing here imports pygame.
"""
