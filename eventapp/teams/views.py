"""Routes of the team side."""
from . import models  # noqa: F401
