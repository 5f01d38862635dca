from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from ..core.forms import BaseForm
from ..core.roles import MANAGED_ROLES
from ..core.text import normalize_mobile
from . import passwords

PASSWORD_LENGTH = Length(min=8, max=128, message=_l("The password must be 8 to 128 characters long."))


def not_common(form, field):
    if field.data and passwords.is_common(field.data):
        raise ValidationError(passwords.TOO_COMMON)


def iranian_mobile(form, field):
    """Any way an Iranian mobile number is typed (Persian digits, +98...), kept as 09xxxxxxxxx."""
    normalised = normalize_mobile(field.data or "")
    if not normalised:
        raise ValidationError(_l("Enter an Iranian mobile number of 11 digits starting with 09."))
    field.data = normalised


def _mobile_field():
    return StringField(
        _l("Mobile number"),
        description=_l("An Iranian mobile number, like 09121234567."),
        validators=[DataRequired(message=_l("Enter your mobile number.")), iranian_mobile],
    )


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _email_field(label):
    return EmailField(
        label,
        filters=[_lower],
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )


class NewPasswordForm(BaseForm):
    """A password chosen twice, so that a typo does not lock the person out."""

    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Choose a password.")), PASSWORD_LENGTH, not_common]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(message=_l("Repeat the password.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class SignUpForm(NewPasswordForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter your name.")),
                    Length(min=2, max=120, message=_l("The name must be 2 to 120 characters long."))],
    )
    email = _email_field(_l("Email"))
    mobile = _mobile_field()


class SignInForm(BaseForm):
    email = _email_field(_l("Email"))
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in on this device"))


class MobileNumberForm(BaseForm):
    """The number a sign-in code is sent to."""

    mobile = _mobile_field()


def six_digits(form, field):
    """The form's text filters already made the digits Latin; spaces typed between them are dropped."""
    field.data = "".join((field.data or "").split())
    if not (len(field.data) == 6 and field.data.isascii() and field.data.isdigit()):
        raise ValidationError(_l("The code has 6 digits."))


class CodeForm(BaseForm):
    """The code of a text message, typed back (Persian, Arabic or Latin digits)."""

    code = StringField(
        _lp("one-time code", "Code"),
        description=_l("The 6-digit code in the text message we sent."),
        validators=[DataRequired(message=_l("Enter the code from the text message.")), six_digits],
        render_kw={"inputmode": "numeric", "maxlength": 12},
    )


class SignInCodeForm(CodeForm):
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotPasswordForm(BaseForm):
    email = _email_field(_l("Email"))


class RoleChangeForm(BaseForm):
    """Grant or remove one role; the choices are the roles an admin may manage."""

    role = SelectField(_l("Role"), choices=lambda: [SelectChoice(role, role.label) for role in MANAGED_ROLES],
                       validators=[InputRequired()])
    grant = SelectField(_l("Change"), choices=[SelectChoice("1", _l("Grant")), SelectChoice("0", _l("Remove"))],
                        validators=[InputRequired()])


class LanguageForm(BaseForm):
    language = SelectField(choices=[SelectChoice("fa", "فارسی"), SelectChoice("en", "English")], validators=[InputRequired()])
