"""What an API token may do, with the labels organisers choose from (see core/enums.py)."""
from flask_babel import lazy_gettext as _l

from ..core.enums import LabelledEnum


class ApiScope(LabelledEnum):
    READ = "read", _l("Read events, teams, maps, results and pipeline projects")
    WRITE_PIPELINE = "write:pipeline", _l("Post updates and indicator readings on pipeline projects")
