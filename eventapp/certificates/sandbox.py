"""Organisers' certificate templates, run in a sandbox.

A template is Jinja in an immutable sandbox with autoescape: it sees only the plain values it is given
(strings, numbers, lists and dicts; never database objects), cannot reach attributes such as
``__class__``, and cannot change what it is given. Two ways to render:

- ``strict``: an unknown value is an error (issuing refuses the template with a clear message);
- preview: an unknown value is drawn in the document as a marked box naming it, and listed.

Both are bounded (``LIMIT``): no value a template makes may exceed ``MAX_VALUE_CHARS`` (checked before a
string or list is repeated, padded, formatted or replaced, so a one-line ``{{ 'x' * 10**9 }}`` costs
nothing), the document at most ``MAX_OUTPUT_CHARS`` and ``MAX_ELEMENTS`` tags (what the PDF layout's time
grows with), and rendering stops after ``MAX_RENDER_SECONDS`` of loops.
"""
import re
import string
import sys
import time
from dataclasses import dataclass, field

from jinja2 import ChainableUndefined, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

UNKNOWN, SYNTAX, FORBIDDEN, FAILED, LIMIT = "unknown", "syntax", "forbidden", "failed", "limit"

# The shipped templates write about 6,000 characters and fewer than 100 tags; a document's layout takes
# about a second per 1,000 tags, so these bounds keep any template's document within a few seconds.
MAX_OUTPUT_CHARS = 100_000
MAX_ELEMENTS = 1_000
MAX_VALUE_CHARS = MAX_OUTPUT_CHARS
MAX_WIDTH = 1_000  # of a padding, an indent, a wrap, a repetition count or a number in a format
MAX_RENDER_SECONDS = 2.0
# Which bound a template went past (a LIMIT problem's detail).
TOO_LONG_VALUE, TOO_WIDE, WIDTH_FROM_VALUES = "value", "width", "width-from-values"
TOO_LONG_DOCUMENT, TOO_MANY_ELEMENTS, TOO_SLOW = "document", "elements", "time"
_TAG = re.compile(r"<[A-Za-z]")
# A %-conversion's width and precision (a ``*`` takes them from the values, which is refused too).
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")


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


class Bounded(Exception):
    """A template went past one of the bounds; its argument says which (TOO_LONG_VALUE, ...)."""


def _length(value) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


def _check_length(length: int) -> None:
    if length > MAX_VALUE_CHARS:
        raise Bounded(TOO_LONG_VALUE)


def _check_width(value) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise Bounded(TOO_WIDE)


def _check_percent_format(text) -> None:
    """A %-format pattern may not ask for widths or precisions above MAX_WIDTH (nor take them from values)."""
    if isinstance(text, str):
        for spec in _PERCENT_SPEC.finditer(text):
            for number in spec.groups():
                if number == "*":
                    raise Bounded(WIDTH_FROM_VALUES)
                if number:
                    _check_width(int(number[:12]))


def _check_brace_format(text) -> None:
    """A str.format pattern may not ask for widths or precisions above MAX_WIDTH (nor nest fields in them)."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # str.format itself refuses the pattern
    for _literal, _name, spec, _conversion in fields:
        if spec and "{" in spec:
            raise Bounded(WIDTH_FROM_VALUES)
        for number in _NUMBER.findall(spec or ""):
            _check_width(int(number[:12]))


def _check_replace(text, old, new, count=-1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        occurrences = len(text) + 1 if not old else text.count(old)
        if isinstance(count, int) and count >= 0:
            occurrences = min(occurrences, count)
        _check_length(len(text) + occurrences * max(len(new) - len(old), 0))


# What each risky str method or filter is checked with, before it runs: (self or value, *arguments).
_STRING_CHECKS = {
    "center": lambda text, width=0, *_: _check_width(width),
    "ljust": lambda text, width=0, *_: _check_width(width),
    "rjust": lambda text, width=0, *_: _check_width(width),
    "zfill": lambda text, width=0, *_: _check_width(width),
    "expandtabs": lambda text, size=8, *_: _check_width(size),
    "indent": lambda text, width=4, *_: (_check_width(width) if isinstance(width, int) else _check_length(
        len(width) * (text.count("\n") + 1) if isinstance(width, str) and isinstance(text, str) else 0)),
    "wordwrap": lambda text, width=79, *_: _check_width(width),
    "truncate": lambda text, length=255, *_: _check_width(length),
    "format": lambda text, *_: _check_percent_format(text),
    "replace": _check_replace,
}


def _bounded_filter(name, function):
    check = _STRING_CHECKS[name]
    passes_context = hasattr(function, "jinja_pass_arg")  # then Jinja gives it a context before the value

    def bounded(*args, **kwargs):
        check(*args[1 if passes_context else 0:], *kwargs.values())
        return function(*args, **kwargs)

    bounded.__name__ = function.__name__
    if passes_context:
        bounded.jinja_pass_arg = function.jinja_pass_arg
    return bounded


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Concat(self, node, frame):
        """``a ~ b`` is checked as soon as it is made, so no chain of them doubles a value past the bound."""
        self.write("environment.checked_length(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with every operation that can make a large value checked before it runs."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset(["*", "**", "%", "+"])

    def __init__(self, **options):
        super().__init__(**options)
        del self.globals["lipsum"]  # makes any amount of text
        for name in set(_STRING_CHECKS) & set(self.filters):
            self.filters[name] = _bounded_filter(name, self.filters[name])

    @staticmethod
    def checked_length(value):
        _check_length(len(value))
        return value

    def wrap_str_format(self, value):
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        pattern = value.__self__

        def bounded(*args, **kwargs):
            _check_brace_format(pattern)
            return wrapped(*args, **kwargs)

        return bounded

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if _length(sequence) is not None and isinstance(times, int):
                    _check_length(_length(sequence) * max(times, 0))
        elif operator == "**" and isinstance(right, (int, float)) and abs(right) > 64 \
                and isinstance(left, (int, float)) and abs(left) > 1:
            raise Bounded(TOO_WIDE)
        elif operator == "%":
            _check_percent_format(left)
        elif operator == "+" and _length(left) is not None and _length(right) is not None:
            _check_length(_length(left) + _length(right))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805  (Jinja's own signature)
        name = getattr(__obj, "__name__", None)
        if isinstance(getattr(__obj, "__self__", None), str) and name in _STRING_CHECKS and name != "format":
            _STRING_CHECKS[name](__obj.__self__, *args)
        elif isinstance(getattr(__obj, "__self__", None), str) and name == "join" and args:
            _check_length(sum(len(str(item)) for item in args[0]) if isinstance(args[0], (list, tuple)) else 0)
        return super().call(__context, __obj, *args, **kwargs)


def _generate_bounded(template, context: dict, timed: bool = True) -> str:
    """Render, stopping at MAX_OUTPUT_CHARS, MAX_ELEMENTS and (when ``timed``) MAX_RENDER_SECONDS."""
    if not timed:
        return _generate_sized(template, context)
    deadline = time.monotonic() + MAX_RENDER_SECONDS
    code_names = {"<template>", template.filename}

    def trace_lines(frame, event, _argument):
        if time.monotonic() > deadline:
            raise Bounded(TOO_SLOW)
        return trace_lines

    def trace_calls(frame, event, _argument):
        # Only the template's own code is followed line by line; everything it calls runs untraced.
        return trace_lines if frame.f_code.co_filename in code_names else None

    previous = sys.gettrace()
    sys.settrace(trace_calls)
    try:
        return _generate_sized(template, context)
    finally:
        sys.settrace(previous)


def _generate_sized(template, context: dict) -> str:
    """Render, stopping at MAX_OUTPUT_CHARS and MAX_ELEMENTS."""
    chunks, size, tags = [], 0, 0
    for chunk in template.generate(context):
        size += len(chunk)
        tags += len(_TAG.findall(chunk))
        if size > MAX_OUTPUT_CHARS:
            raise Bounded(TOO_LONG_DOCUMENT)
        if tags > MAX_ELEMENTS:
            raise Bounded(TOO_MANY_ELEMENTS)
        chunks.append(chunk)
    return "".join(chunks)


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


def _environment(undefined) -> BoundedEnvironment:
    return BoundedEnvironment(autoescape=True, undefined=undefined, trim_blocks=True, lstrip_blocks=True)


STRICT = _environment(StrictUndefined)


def compile_strict(source: str):
    """The compiled template for issuing many documents; raise TemplateRefused if it does not compile."""
    try:
        return STRICT.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateRefused(Problem(SYNTAX, error.message or str(error), error.lineno)) from error


def uses(source: str, name: str) -> bool:
    """Whether the template reads the value ``name`` (False if it does not compile)."""
    try:
        return name in meta.find_undeclared_variables(STRICT.parse(source))
    except TemplateSyntaxError:
        return False


def render_strict(template, context: dict, timed: bool = True) -> str:
    """Render one document; any unknown value, forbidden access or error refuses it. ``timed=False`` for the
    shipped templates, whose loops are ours: timing a template's lines (MAX_RENDER_SECONDS) triples its cost."""
    try:
        return _generate_bounded(template, context, timed)
    except Bounded as error:
        raise TemplateRefused(Problem(LIMIT, str(error))) from error
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
        return Rendered(_generate_bounded(template, context), problems)
    except Bounded as error:
        return Rendered("", [*problems, Problem(LIMIT, str(error))])
    except SecurityError as error:
        return Rendered("", [*problems, Problem(FORBIDDEN, str(error))])
    except Exception as error:
        return Rendered("", [*problems, Problem(FAILED, f"{type(error).__name__}: {error}")])
