from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..core.forms import BaseForm, LocalDateTimeField, LocalIntegerField
from .enums import Audience
from .services import LINK_PATTERN, MAX_CAPACITY


class SessionForm(BaseForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Enter the title of the session.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[
        InputRequired(message=_l("Enter when the session starts."))])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[InputRequired(message=_l("Enter when the session ends."))])
    place = StringField(_l("Place"), description=_l("The address, for a session held in person."),
                        validators=[Length(max=300)])
    online_link = StringField(
        _l("Online link"), description=_l("Shown only to the people with a confirmed place."),
        validators=[Optional(), Length(max=500),
                    Regexp(LINK_PATTERN, message=_l("Enter a web address starting with https://."))],
    )
    capacity = LocalIntegerField(
        _l("Capacity"), description=_l("How many people can take part."),
        validators=[InputRequired(message=_l("Enter how many people can take part.")),
                    NumberRange(min=1, max=MAX_CAPACITY, message=_l("Enter a number from %(min)s to %(max)s."))],
    )
    audience = SelectField(_l("Open to"), choices=Audience.choices)
    required = BooleanField(_l("Required for the training certificate"))
