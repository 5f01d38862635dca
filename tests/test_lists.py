"""Lists in messages are written as each language writes them, never with the other language's comma."""
import pytest

from eventapp.audit.views import audit_value
from eventapp.core.i18n import format_list


@pytest.mark.parametrize(("language", "expected"), [("en", "a, b, and c"), ("fa", "a،\u200f b، و c")])
def test_a_list_in_a_sentence_follows_the_language(app, language, expected):
    with app.test_request_context(headers={"Cookie": f"lang={language}"}):
        assert format_list(["a", "b", "c"]) == expected
        assert format_list([]) == ""
        assert format_list(["a"]) == "a"


def test_the_audit_log_lists_values_in_the_pages_language(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert audit_value(["x", "y"], "teams") == "x and y"
