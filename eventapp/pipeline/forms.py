"""Forms of the pipeline pages. The choices of select fields are filled by the views."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..core.forms import BaseForm, LocalDateField, LocalFloatField, LocalIntegerField


class ConfirmForm(BaseForm):
    """Only the CSRF token: for buttons (verify a reading, remove a partner)."""


class MoveForm(BaseForm):
    stage = SelectField(_l("Move to the stage"), coerce=int)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)],
                           description=_l("Required when the project goes on hold or is dropped."))


class PlanForm(BaseForm):
    owner = SelectField(_l("Owner at the headquarters"), coerce=int)
    next_step = StringField(_l("Next step"), validators=[Length(max=300)])
    next_step_due = LocalDateField(_l("Due date of the next step"), validators=[Optional()])


class PartnerForm(BaseForm):
    name = StringField(_l("Partner organisation"), validators=[Length(max=200)])
    role = StringField(_l("Its role (optional)"), validators=[Length(max=200)])


class MilestoneForm(BaseForm):
    title = StringField(_l("Milestone"), validators=[Length(max=300)])
    due_on = LocalDateField(_l("Due date"), validators=[Optional()])


class DoneForm(BaseForm):
    done_on = LocalDateField(_l("Done on"), validators=[DataRequired(message=_l("Give the day it was done."))])


class ReadingForm(BaseForm):
    taken_on = LocalDateField(_l("Measured on"), validators=[Optional()])
    value = LocalFloatField(_l("Value"), validators=[Optional()])
    source = StringField(_l("Source (optional)"), validators=[Length(max=300)],
                         description=_l("Where the figure comes from: a report, a survey, an office."))
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=2000)])


class NoteForm(BaseForm):
    body = TextAreaField(_l("Update"), validators=[Length(max=10000)])
    files = MultipleFileField(_l("Files (optional)"),
                              description=_l("PDF files and PNG, JPEG or WebP images."))


class AddProjectForm(BaseForm):
    team = SelectField(_l("Team"), coerce=int)


def stages_form(stages):
    """A form with a Persian name, an English name and a position for each stage (``name_fa-<id>``...)."""

    class StagesForm(BaseForm):
        pass

    for stage in stages:
        setattr(StagesForm, f"name_fa-{stage.id}", StringField(_l("Persian name"), validators=[Length(max=100)]))
        setattr(StagesForm, f"name_en-{stage.id}", StringField(_l("English name"), validators=[Length(max=100)]))
        setattr(StagesForm, f"position-{stage.id}", LocalIntegerField(_l("Position"), validators=[
            InputRequired(message=_l("Give the stage's place on the board."))]))
    return StagesForm


class ReferenceImportForm(BaseForm):
    file = FileField(_l("CSV or XLSX file"), description=_l(
        "Six columns: province (Persian or English name, or code), indicator key, Persian name, English name, "
        "unit, value. A first row of headers is skipped. Nothing is imported while any row is wrong."))
