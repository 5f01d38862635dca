from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from ..core.forms import BaseForm, LocalDateTimeField, RichTextField, optional_id
from .enums import AnnouncementAudience


class AnnouncementForm(BaseForm):
    title_fa = StringField(_l("Title (Persian)"), validators=[
        DataRequired(message=_l("Enter the Persian title.")), Length(max=200)])
    title_en = StringField(_l("Title (English)"), description=_l("For the people who read the site in English; "
                                                                 "the Persian is shown when it is empty."),
                           validators=[Length(max=200)])
    body_fa = RichTextField(_l("Text (Persian)"), validators=[
        DataRequired(message=_l("Write the Persian text.")), Length(max=20000)],
        description=_l("You can write {name} for the recipient's name, {team} for their team and {event} for the "
                       "event."))
    body_en = RichTextField(_l("Text (English)"), validators=[Length(max=20000)])
    audience = SelectField(_l("Who receives it"), choices=AnnouncementAudience.choices)
    province_id = SelectField(_l("Province"), coerce=optional_id, validate_choice=False,
                              description=_l("Only when the audience is the teams of one province."))


class ScheduleForm(BaseForm):
    send_at = LocalDateTimeField(_l("Send at"), description=_l("Tehran time: Solar Hijri in Persian, like 1405/09/20 "
                                                               "18:30; Gregorian in English, like 2026-12-10 18:30."),
                                 validators=[InputRequired(message=_l("Enter when to send it."))])


class RemindersForm(BaseForm):
    hours = StringField(_l("Reminders, in hours before each deadline"),
                        description=_l("Separated by commas, like 72, 24."),
                        validators=[DataRequired(message=_l("Enter at least one time.")), Length(max=60)])
