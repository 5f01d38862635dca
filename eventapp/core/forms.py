"""What every form shares: normalised text input and Tehran date-times in the user's calendar."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, FloatField, Form, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email
from wtforms.widgets import TextInput

from .i18n import (
    current_language,
    format_input_date,
    format_input_datetime,
    localize_digits,
    parse_input_date,
    parse_input_datetime,
)
from .text import RICH_TEXT_ATTRIBUTE, normalize_letters, normalize_text


class HintWithCode:
    """A field's hint that names something to type as it is written (``code``): shown as code, which a Persian
    page neither translates nor gives Persian digits. ``message`` holds ``%(code)s``."""

    def __init__(self, message, code: str):
        self.message, self.code = message, code

    def __html__(self) -> str:
        return escape(str(self.message)) % {"code": Markup('<code dir="ltr">%s</code>') % self.code}

    def __str__(self) -> str:
        return str(self.message) % {"code": self.code}


def _normalise(value):
    return normalize_text(value) if isinstance(value, str) else value


class RichTextField(TextAreaField):
    """HTML from the editor: letters are made Persian, digits and markup are left as written
    (services sanitise the markup). Marked as rich text, so that a Persian page localises the text of its HTML,
    never its markup."""

    def __call__(self, **kwargs):
        kwargs.setdefault(RICH_TEXT_ATTRIBUTE, True)
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = normalize_letters(self.data)


class _Fields:
    """How every form binds its fields: text fields store Persian letters and Latin digits; fields named
    ``*_en`` (title_en, name_en-3) hold English, and say so (lang="en": a Persian page keeps them as written)."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, (StringField, TextAreaField)) and not issubclass(field_class, RichTextField):
            options["filters"] = (_normalise, *options.get("filters", ()))
        if options["name"].split("-")[0].endswith("_en"):
            options["render_kw"] = {"lang": "en", **(options.get("render_kw") or {})}
        return unbound_field.bind(form=form, **options)


class BaseForm(FlaskForm):
    """A CSRF-protected form whose text fields store Persian letters and Latin digits."""

    class Meta(_Fields):
        pass


class SubForm(Form):
    """A form inside a form (a row of a FieldList): its fields bound as every form's are."""

    class Meta(_Fields):
        pass


class LocalDateTimeField(Field):
    """A date and time in Tehran, typed as Jalali in Persian and Gregorian in English.

    ``data`` is an aware datetime (or None). Digits of any script are accepted because the form
    normalises the raw text before parsing.
    """

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_input_datetime(self.data, current_language())

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_input_datetime(normalize_text(valuelist[0]), current_language())
        except ValueError as error:
            self.data = None
            raise ValueError(
                _("Enter a valid date and time, like %(example)s.", example=self.example())
            ) from error

    @staticmethod
    def example() -> str:
        example = "1405/09/06 18:30" if current_language() == "fa" else "2026-11-27 18:30"
        return "\u2066" + localize_digits(example) + "\u2069"  # isolated left-to-right inside Persian text


class LocalDateField(LocalDateTimeField):
    """A calendar day, typed as Jalali in Persian and Gregorian in English; ``data`` is a date."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_input_date(self.data, current_language())

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_input_date(normalize_text(valuelist[0]), current_language())
        except ValueError as error:
            self.data = None
            raise ValueError(_("Enter a valid date, like %(example)s.", example=self.example())) from error

    @staticmethod
    def example() -> str:
        example = "1405/09/06" if current_language() == "fa" else "2026-11-27"
        return "\u2066" + localize_digits(example) + "\u2069"


class LocalFloatField(FloatField):
    """A number typed with Persian, Arabic or Latin digits (and the Persian decimal separator).

    A text input, not type=number: browsers refuse Persian digits in number inputs, and Persian
    phone keyboards type them.
    """

    widget = TextInput(input_type="text")

    def __call__(self, **kwargs):
        kwargs.setdefault("inputmode", "decimal")
        return super().__call__(**kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:.6f}".rstrip("0").rstrip(".")

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [normalize_text(value).replace("٫", ".").replace(",", "") for value in valuelist]
            if not valuelist[0]:
                self.data = None
                return
        super().process_formdata(valuelist)


class LocalIntegerField(IntegerField):
    """A whole number typed with Persian, Arabic or Latin digits, in a text input (see LocalFloatField)."""

    widget = TextInput(input_type="text")

    def __call__(self, **kwargs):
        kwargs.setdefault("inputmode", "numeric")
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata([normalize_text(value) for value in valuelist])


class EmailForm(BaseForm):
    """One email address: inviting someone into a team, or a judge into an event."""
    email = StringField(_l("Email of the person to invite"), validators=[
        DataRequired(message=_l("Enter your email address.")), Email(message=_l("Enter a valid email address."))])
