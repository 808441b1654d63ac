"""The shooter's rules, headless: components, content, systems and the mission lifecycle."""
