"""The shooter's network sets: what a mod orders its systems against on the network side.

Server, INPUT: `Seating` runs after the engine's `NetReceive` and `Commands` after
`Seating` (a command is checked against the seats as they are after this step's
joins and leaves). Server, SPAWN: `Cues` and then `MissionNews`, both after the
rules' `MissionLifecycle`, so what they send is what the rules decided this step
(`MissionNews` sees the step's MissionEnded and MissionStarted).
"""

from __future__ import annotations

from engine.schedule import SystemSet

Seating = SystemSet("seating")  # INPUT: joins, leaves, spectators in line (server)
Commands = SystemSet("commands")  # INPUT: one system per command message, checked (server)
Cues = SystemSet("cues")  # SPAWN: explosions and pickups, to clients (server)
MissionNews = SystemSet("mission-news")  # SPAWN: mission end and start, to clients (server)
# INPUT, after NetReceive: what the server said taken in: own aircraft claimed, corrections
# eased in, the battlefield and the session followed (client)
Claims = SystemSet("claims")
Sending = SystemSet("sending")  # NETWORK, before NetSend: inputs and actions to the server (client)
