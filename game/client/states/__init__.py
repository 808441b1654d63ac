"""The screens of the game window, one module each."""
