from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from ..core.forms import BaseForm, LocalDateField, LocalFloatField, RichTextField, SubForm
from .enums import OrganisationType, TeamStatus
from .models import MAP_SECTIONS


class PlaceFields:
    """A province and a county of it; views fill the choices (counties grouped by province)."""

    province = SelectField(_l("Province"), coerce=int, validators=[DataRequired(message=_l("Choose the province."))])
    county = SelectField(_l("County"), coerce=int, validators=[DataRequired(message=_l("Choose the county."))])


class TeamForm(PlaceFields, BaseForm):
    name = StringField(_l("Team name"), validators=[
        DataRequired(message=_l("Enter the team's name.")), Length(max=120)])
    organisation_type = SelectField(_l("Kind of organisation"), choices=OrganisationType.choices)
    organisation_name = StringField(_l("Organisation name"), validators=[
        DataRequired(message=_l("Enter the organisation's name.")), Length(max=200)])
    introduction = TextAreaField(_l("A short introduction"), validators=[Length(max=2000)],
                                 description=_l("Who you are and what you have done so far, in a few lines."))
    contact_email = StringField(_l("Contact email"), validators=[
        DataRequired(message=_l("Enter an email address.")), Email(message=_l("Enter a valid email address.")),
        Length(max=254)])
    contact_phone = StringField(_l("Contact mobile number"), validators=[
        DataRequired(message=_l("Enter your mobile number."))])


class MemberForm(BaseForm):
    name = StringField(_l("Full name"), validators=[DataRequired(message=_l("Enter the member's name.")),
                                                    Length(max=120)])
    mobile = StringField(_l("Mobile number"), validators=[DataRequired(message=_l("Enter your mobile number."))])
    national_id = StringField(_l("National ID (optional)"), validators=[Optional(), Length(max=20)])


class DecisionForm(BaseForm):
    status = SelectField(_l("Decision"), choices=[
        SelectChoice(TeamStatus.APPROVED, _l("Approve")), SelectChoice(TeamStatus.REJECTED, _l("Reject")),
        SelectChoice(TeamStatus.PENDING, _l("Back to waiting"))])
    reason = TextAreaField(_l("Reason (shown to the team)"), validators=[Length(max=2000)])


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class IndicatorForm(SubForm):
    name = StringField(_l("Indicator"), validators=[Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Length(max=60)])
    baseline = LocalFloatField(_l("Baseline"), validators=[Optional()])
    target = LocalFloatField(_l("Target"), validators=[Optional()])
    target_date = LocalDateField(_l("Target date"), validators=[Optional()])


class ActionForm(SubForm):
    what = StringField(_l("Action"), validators=[Length(max=300)])
    responsible = StringField(_l("Who is responsible"), validators=[Length(max=200)])
    starts_on = LocalDateField(_l("Start"), validators=[Optional()])
    ends_on = LocalDateField(_l("End"), validators=[Optional()])
    resources = StringField(_l("Resources needed"), validators=[Length(max=500)])


class MapForm(BaseForm):
    version = HiddenField()
    title = StringField(_l("Title of the map"), validators=[Length(max=200)])
    province = SelectField(_l("Target province"), coerce=int, validators=[Optional()])
    county = SelectField(_l("Target county"), coerce=int, validators=[Optional()])
    district = StringField(_l("District or village"), validators=[Length(max=200)])
    latitude = LocalFloatField(_l("Latitude (optional)"), validators=[Optional()])
    longitude = LocalFloatField(_l("Longitude (optional)"), validators=[Optional()])
    indicators = FieldList(FormField(IndicatorForm), min_entries=1, max_entries=50)
    actions = FieldList(FormField(ActionForm), min_entries=1, max_entries=100)


for _section in MAP_SECTIONS:
    setattr(MapForm, _section, RichTextField(validators=[Length(max=50000)]))
del _section
