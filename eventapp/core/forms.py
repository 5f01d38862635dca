"""What every form shares: normalised text input and Tehran date-times in the user's calendar."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, FloatField, Form, IntegerField, SelectField, StringField, TextAreaField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import DataRequired, Email
from wtforms.widgets import TextArea, TextInput, html_params

from .i18n import (
    current_language,
    format_input_date,
    format_input_datetime,
    localize_digits,
    parse_input_date,
    parse_input_datetime,
)
from .text import RICH_TEXT_ATTRIBUTE, normalize_letters, normalize_text, text_of_html
from .web import bounded_int


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


class RichTextArea(TextArea):
    """The rich text's source: its words as plain text inside (what a browser without JavaScript shows and sends
    back; plain text becomes paragraphs on save), its HTML in ``data-html`` for the editor's JavaScript."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs["data-html"] = field._value()
        return Markup("<textarea %s>\r\n%s</textarea>") % (
            Markup(html_params(name=field.name, **kwargs)), text_of_html(field._value()))


class RichTextField(TextAreaField):
    """HTML from the editor: letters are made Persian, digits and markup are left as written
    (services sanitise the markup). Marked as rich text, so that a Persian page localises the text of its HTML,
    never its markup."""

    def __call__(self, **kwargs):
        kwargs.setdefault(RICH_TEXT_ATTRIBUTE, True)
        return super().__call__(**kwargs)

    widget = RichTextArea()

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = normalize_letters(self.data)


def _refuse_nul(value):
    """A filter of every text field: NUL is no character of any text (and PostgreSQL refuses it)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(_("Remove the NUL character from this text."))
    return value


def _within_int64(value):
    """A filter of every whole-number field: what the database's 64-bit columns can hold."""
    if isinstance(value, int) and bounded_int(value) is None:
        raise ValueError(_("This number is out of range."))
    return value


def _bounded_coerce(coerce):
    """A choice field's ``int`` coercion that refuses numbers beyond 64 bits (a ValueError: not a choice)."""
    def coerce_within_int64(value):
        number = coerce(value)
        if bounded_int(number) is None:
            raise ValueError(_("This number is out of range."))
        return number
    return coerce_within_int64


def optional_id(value) -> int | None:
    """The coercion of a select whose placeholder option has an empty value: "" is no choice (None)."""
    return None if value in ("", None) else int(value)


def _takes_typed_text(field) -> bool:
    widget = field.widget
    return isinstance(widget, TextArea) or getattr(widget, "input_type", None) in ("text", "search")


class _Fields:
    """How every form binds and renders its fields (a Meta mixin).

    Bound: text fields store Persian letters and Latin digits and refuse NUL characters; whole numbers (typed
    or chosen) fit in 64 bits; fields named ``*_en`` (title_en, name_en-3) hold English, and say so
    (lang="en": a Persian page keeps them as written).
    Rendered: text typed by people takes its own direction (``dir="auto"``) unless the template names one; an
    attribute given as None is left out; the CSRF token has no id, so that several forms can share a page."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        filters = options.get("filters", unbound_field.kwargs.get("filters", ()))
        if issubclass(field_class, (StringField, TextAreaField)):
            normalise = () if issubclass(field_class, RichTextField) else (_normalise,)
            options["filters"] = (_refuse_nul, *normalise, *filters)
        elif issubclass(field_class, IntegerField):
            options["filters"] = (*filters, _within_int64)
        elif issubclass(field_class, SelectField):  # radio buttons and multiple choices too
            if unbound_field.kwargs.get("coerce") is int:
                options["coerce"] = _bounded_coerce(int)
        if options["name"].split("-")[0].endswith("_en"):
            render_kw = options.get("render_kw", unbound_field.kwargs.get("render_kw")) or {}
            options["render_kw"] = {"lang": "en", **render_kw}
        return unbound_field.bind(form=form, **options)

    def render_field(self, field, render_kw):
        render_kw = {name: value for name, value in render_kw.items() if value is not None}
        if isinstance(field, CSRFTokenField):
            render_kw["id"] = False
        elif _takes_typed_text(field):
            render_kw.setdefault("dir", "auto")
        return super().render_field(field, render_kw)


class BaseForm(FlaskForm):
    """A CSRF-protected form whose fields are bound and rendered as ``_Fields`` says."""

    class Meta(_Fields):
        pass


class SubForm(Form):
    """A form inside a form (a row of a FieldList): its fields bound and rendered as every form's are."""

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
