"""The shooter's systems, one module per concern."""
