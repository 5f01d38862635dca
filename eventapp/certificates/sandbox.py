"""Organisers' certificate templates, run in a sandbox.

A template is Jinja in an immutable sandbox with autoescape: it sees only the plain values it is given
(strings, numbers, lists and dicts; never database objects), cannot reach attributes such as
``__class__``, and cannot change what it is given. Two ways to render:

- ``strict``: an unknown value is an error (issuing refuses the template with a clear message);
- preview: an unknown value is drawn in the document as a marked box naming it, and listed.
"""
from dataclasses import dataclass, field

from jinja2 import ChainableUndefined, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

UNKNOWN, SYNTAX, FORBIDDEN, FAILED = "unknown", "syntax", "forbidden", "failed"


@dataclass
class Problem:
    kind: str  # one of the four above
    detail: str  # the unknown value's name, or the error's own words
    line: int | None = None


@dataclass
class Rendered:
    html: str
    problems: list[Problem] = field(default_factory=list)


class TemplateRefused(Exception):
    """The template cannot be used for issuing; the message says why."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.kind}: {problem.detail}")
        self.problem = problem


def _marking_undefined(problems: list[Problem]):
    class MarkedUndefined(ChainableUndefined):
        """Shown in a preview as a red box naming the unknown value, and listed as a problem."""

        def __html__(self):
            name = self._undefined_name or "?"
            # The sandbox answers a forbidden attribute (``__class__``) with an undefined value too:
            # name it as forbidden, as issuing does, not as an unknown value.
            forbidden = self._undefined_exception is SecurityError
            problem = Problem(FORBIDDEN, self._undefined_hint) if forbidden else Problem(UNKNOWN, name)
            if not any(found.detail == problem.detail for found in problems):
                problems.append(problem)
            return Markup('<span class="template-problem">{{ %s }}</span>') % name

        __str__ = __html__

    return MarkedUndefined


def _environment(undefined) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(autoescape=True, undefined=undefined, trim_blocks=True, lstrip_blocks=True)


STRICT = _environment(StrictUndefined)


def compile_strict(source: str):
    """The compiled template for issuing many documents; raise TemplateRefused if it does not compile."""
    try:
        return STRICT.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateRefused(Problem(SYNTAX, error.message or str(error), error.lineno)) from error


def render_strict(template, context: dict) -> str:
    """Render one document; any unknown value, forbidden access or error refuses it."""
    try:
        return template.render(context)
    except UndefinedError as error:
        raise TemplateRefused(Problem(UNKNOWN, _unknown_value(error))) from error
    except SecurityError as error:
        raise TemplateRefused(Problem(FORBIDDEN, str(error))) from error
    except TemplateError as error:
        raise TemplateRefused(Problem(FAILED, str(error))) from error
    except Exception as error:  # an error inside the template's own expressions (1/0, a bad index, ...)
        raise TemplateRefused(Problem(FAILED, f"{type(error).__name__}: {error}")) from error


def _unknown_value(error: UndefinedError) -> str:
    """'dict object' has no attribute 'x'  ->  x ;  'x' is undefined  ->  x"""
    text = str(error)
    parts = text.split("'")
    return parts[-2] if len(parts) >= 3 else text


def render_preview(source: str, context: dict) -> Rendered:
    """Render for the editor's preview: problems are marked in the document and listed, never raised."""
    problems: list[Problem] = []
    environment = _environment(_marking_undefined(problems))
    try:
        template = environment.from_string(source)
    except TemplateSyntaxError as error:
        return Rendered("", [Problem(SYNTAX, error.message or str(error), error.lineno)])
    try:
        return Rendered(template.render(context), problems)
    except SecurityError as error:
        return Rendered("", [*problems, Problem(FORBIDDEN, str(error))])
    except Exception as error:
        return Rendered("", [*problems, Problem(FAILED, f"{type(error).__name__}: {error}")])
