from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..core.forms import BaseForm, LocalDateTimeField, LocalFloatField, LocalIntegerField, SubForm, optional_id
from ..core.text import latin_digits
from .enums import CombiningMethod, RoundKind


def score_form(criteria):
    """A form with a score and a comment for each criterion of the rubric."""

    class ScoreForm(BaseForm):
        outlier_comment = TextAreaField(_l("Why your view differs"), validators=[Length(max=5000)])

    for criterion in criteria:
        setattr(ScoreForm, f"score-{criterion.id}", LocalFloatField(criterion.title, validators=[Optional()]))
        setattr(ScoreForm, f"comment-{criterion.id}", TextAreaField(_l("Comment"), validators=[Length(max=5000)]))
    return ScoreForm


class ConflictForm(BaseForm):
    reason = TextAreaField(_l("What is the conflict?"), validators=[
        DataRequired(message=_l("Say what the conflict is.")), Length(max=2000)])


class ProfileForm(BaseForm):
    expertise = TextAreaField(_l("Your expertise"), validators=[Length(max=2000)])
    province = SelectField(_l("Home province"), coerce=int, validators=[Optional()])


class RoundForm(BaseForm):
    kind = SelectField(_l("Kind of round"), choices=RoundKind.choices)
    rubric = SelectField(_l("Rubric"), coerce=optional_id, validators=[DataRequired(message=_l("Choose a rubric."))])
    starts_at = LocalDateTimeField(_l("Scoring opens"), validators=[DataRequired(message=_l("Enter when scoring opens."))])
    ends_at = LocalDateTimeField(_l("Scoring closes"), validators=[DataRequired(message=_l("Enter when scoring closes."))])
    judges_per_entry = LocalIntegerField(_l("Judges per entry"), default=3, validators=[DataRequired()])
    blind = BooleanField(_l("Blind judging: judges do not see the team's name, members or organisation"),
                         default=True)
    method = SelectField(_l("How scores are combined"), choices=CombiningMethod.choices)
    disagreement_threshold = LocalFloatField(_l("Flag entries whose judges differ by more than (points of 100)"),
                                             default=25.0, validators=[DataRequired()])
    outlier_threshold = LocalFloatField(_l("Ask for a comment when a judge differs from the others by (points)"),
                                        default=30.0, validators=[DataRequired()])
    show_others_after_submit = BooleanField(_l("Judges see the other judges' scores after submitting their own"))
    tie_breaker_1 = SelectField(_l("First tie-breaker"), coerce=int, validators=[Optional()])
    tie_breaker_2 = SelectField(_l("Second tie-breaker"), coerce=int, validators=[Optional()])
    tie_breaker_3 = SelectField(_l("Third tie-breaker"), coerce=int, validators=[Optional()])

    TIE_BREAKERS = ("tie_breaker_1", "tie_breaker_2", "tie_breaker_3")


class RubricChoiceForm(BaseForm):
    rubric = SelectField(_l("Rubric to copy"), coerce=int)


class SelectTopForm(BaseForm):
    count = LocalIntegerField(_l("How many teams go on"), default=20, validators=[DataRequired()])


class CriterionForm(SubForm):
    title_fa = StringField(_l("Title in Persian"), validators=[Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=200)])
    description_fa = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    weight = LocalFloatField(_l("Weight"), validators=[Optional()])
    scale_min = LocalIntegerField(_l("Lowest score"), default=0, validators=[Optional()])
    scale_max = LocalIntegerField(_l("Highest score"), default=10, validators=[Optional()])
    # A little format to type, in two languages: kept as written on a Persian page (translate="no").
    levels = TextAreaField(_l("Levels, one a line: score | Persian | English"), validators=[Length(max=5000)],
                           render_kw={"translate": "no"})

    def validate_levels(self, field):
        if not (self.title_fa.data or "").strip():
            return  # a criterion without a Persian title is dropped, with its levels
        try:
            parse_levels(field.data)
        except ValueError as error:
            raise ValidationError(_l("Each level line starts with its score, like 7 | خوب | Good.")) from error


class RubricForm(BaseForm):
    title_fa = StringField(_l("Title in Persian"), validators=[DataRequired(message=_l("Enter the Persian title.")),
                                                               Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=200)])
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=30)


def parse_levels(text: str) -> list[dict]:
    """Lines of "score | Persian descriptor | English descriptor" as the rubric stores them."""
    levels = []
    for line in (text or "").splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        try:
            value = int(latin_digits(parts[0]))
        except ValueError as error:
            raise ValueError(line) from error
        levels.append({"value": value, "fa": parts[1] if len(parts) > 1 else "", "en": parts[2] if len(parts) > 2 else ""})
    return levels


def format_levels(levels: list[dict]) -> str:
    return "\n".join(f"{level['value']} | {level.get('fa', '')} | {level.get('en', '')}" for level in levels)
