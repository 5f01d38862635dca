"""The factories build the rows the other tests rely on."""
import pytest

from eventapp.core.database import utcnow

from .factories import ProgressMapFactory, RoundFactory, TeamFactory

pytestmark = pytest.mark.rolled_back  # services only: no test client, no other thread


def test_a_team_is_approved_with_its_leader_first_then_its_members(make, ctx):
    leader, member = make.user(), make.user()
    team = TeamFactory(leader=leader, members=[member])
    assert [(m.user_id, m.name, m.is_leader) for m in team.members] == [
        (leader.id, leader.name, True), (member.id, member.name, False)]
    assert all(m.event_id == team.event_id for m in team.members)
    assert team.status == "approved" and team.county.province_id == team.province_id


def test_a_map_is_a_draft_about_the_teams_place_until_submitted(ctx):
    draft, submitted = ProgressMapFactory(), ProgressMapFactory(submitted=True)
    assert (draft.status, draft.submitted_at, draft.version) == ("draft", None, 1)
    assert (draft.province_id, draft.county_id) == (draft.team.province_id, draft.team.county_id)
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    assert [i.position for i in submitted.indicators] == [0, 1] and [a.position for a in submitted.actions] == [0, 1]


def test_a_round_is_open_with_the_default_rubric_of_its_event(ctx):
    round_ = RoundFactory(kind="screening")
    assert round_.rubric.event_id == round_.event_id
    assert [criterion.weight for criterion in round_.rubric.criteria] == [20, 20, 20, 15, 15, 10]
    assert round_.is_open(utcnow())
