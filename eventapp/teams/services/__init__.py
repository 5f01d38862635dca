"""What teams do and what organisers do with them, in one namespace: ``from ..teams import services``.

access: who may read a team; membership: registration, members, leadership and the organisers' decisions;
maps: progress maps and their revisions; attachments: the files of a map.
"""
from .access import can_read_map, can_read_team, get_team_for, team_in_event, teams_of
from .attachments import add_attachment, attachment_for_download, remove_attachment
from .maps import (
    ActionRow,
    IndicatorRow,
    MapDraft,
    compare_revisions,
    journey,
    map_of,
    maps_for_export,
    maps_page,
    reopen_map,
    revisions_of,
    save_draft,
    section_labels,
    snapshot,
    submit_map,
)
from .membership import (
    TeamDetails,
    TeamFilters,
    accept_invitation,
    add_member_without_account,
    cancel_invitation,
    check_registration_open,
    decide_team,
    invitation_by_token,
    invite_member,
    leave_team,
    open_invitations,
    register_team,
    remove_member,
    set_screening_selected,
    status_history,
    teams_for_export,
    teams_page,
    transfer_leadership,
    update_team,
    withdraw_team,
)

__all__ = [
    "ActionRow", "IndicatorRow", "MapDraft", "TeamDetails", "TeamFilters", "accept_invitation",
    "add_attachment", "add_member_without_account", "attachment_for_download", "can_read_map", "can_read_team",
    "cancel_invitation", "check_registration_open", "compare_revisions", "decide_team", "get_team_for",
    "invitation_by_token", "invite_member", "journey", "leave_team", "map_of", "maps_for_export", "maps_page",
    "open_invitations", "register_team", "remove_attachment", "remove_member", "reopen_map", "revisions_of",
    "save_draft", "section_labels", "set_screening_selected", "snapshot", "status_history", "submit_map",
    "team_in_event", "teams_for_export", "teams_of", "teams_page", "transfer_leadership", "update_team",
    "withdraw_team",
]
