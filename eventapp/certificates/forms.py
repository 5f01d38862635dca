"""Forms of the certificate pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm, SubForm
from .enums import DocumentLanguage
from .models import MAX_SIGNATORIES


class SignatoryForm(SubForm):
    name_fa = StringField(_l("Name (Persian)"), validators=[Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=120)])
    position_fa = StringField(_l("Position (Persian)"), validators=[Length(max=120)])
    position_en = StringField(_l("Position (English)"), validators=[Length(max=120)])
    image = SelectField(_l("Signature image"), validate_choice=False)


class SettingsForm(BaseForm):
    language = SelectField(_l("Language of the documents"), choices=DocumentLanguage.choices)
    signatories = FieldList(FormField(SignatoryForm), min_entries=MAX_SIGNATORIES, max_entries=MAX_SIGNATORIES)


class ImageForm(BaseForm):
    name = StringField(_l("Name to use in templates"), validators=[DataRequired(), Length(max=40)])
    image = FileField(_l("Image (PNG, JPEG or WebP)"))


class TemplateForm(BaseForm):
    # Code, kept as written on a Persian page (no Persian digits in it: translate="no").
    html = TextAreaField(_l("HTML"), validators=[Length(max=200_000)], render_kw={"translate": "no"})
    css = TextAreaField(_l("CSS"), validators=[Length(max=200_000)], render_kw={"translate": "no"})


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class SerialForm(BaseForm):
    class Meta:
        csrf = False  # a public look-up by GET

    serial = StringField(_l("Serial printed on the document"), validators=[DataRequired(), Length(max=40)])


class DocumentForm(BaseForm):
    document = FileField(_l("The PDF you received"))
