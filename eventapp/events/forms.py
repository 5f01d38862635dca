from flask_babel import lazy_gettext as _l
from wtforms import FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..core.forms import BaseForm, HintWithCode, LocalDateTimeField, LocalIntegerField, SubForm
from .enums import Scope
from .phases import PHASES


class PhaseForm(SubForm):
    """The dates of one phase (a sub-form: the outer form carries the CSRF token)."""

    starts_at = LocalDateTimeField(_l("Starts"), validators=[Optional()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[Optional()])


class EventForm(BaseForm):
    title_fa = StringField(_l("Title in Persian"), validators=[
        DataRequired(message=_l("Enter the Persian title.")), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[
        DataRequired(message=_l("Enter the English title.")), Length(max=200)])
    slug = StringField(
        _l("Short name in addresses"),
        description=HintWithCode(_l("Lower-case Latin letters, digits and hyphens, e.g. %(code)s."), "dawn-1405-yazd"),
        render_kw={"translate": "no"},
        validators=[DataRequired(message=_l("Enter a short name for the event's address.")),
                    Regexp(r"^[a-z0-9][a-z0-9-]{2,59}$",
                           message=_l("Use 3 to 60 lower-case Latin letters, digits and hyphens."))],
    )
    scope = SelectField(_l("Scope"), choices=Scope.choices)
    province = SelectField(_l("Province"), coerce=int, validators=[Optional()])
    min_team_size = LocalIntegerField(_l("Smallest team"), default=3, validators=[
        DataRequired(message=_l("Enter a number.")), NumberRange(min=1, max=100, message=_l("From 1 to 100."))])
    max_team_size = LocalIntegerField(_l("Largest team"), default=10, validators=[
        DataRequired(message=_l("Enter a number.")), NumberRange(min=1, max=100, message=_l("From 1 to 100."))])
    description_fa = TextAreaField(_l("Description in Persian"), validators=[Length(max=10000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=10000)])


for _kind in PHASES:
    setattr(EventForm, _kind, FormField(PhaseForm))
del _kind
