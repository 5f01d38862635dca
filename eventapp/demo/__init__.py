"""The demo series that ``flask demo`` loads: the loader, and the Persian content it writes."""
