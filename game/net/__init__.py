"""The shooter over the network, headless: what replicates, seats, commands, cues, claims."""
