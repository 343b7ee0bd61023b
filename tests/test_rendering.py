"""Escaping and the Jinja2 sandbox: user text never becomes a mention, a link or template code."""

from __future__ import annotations

import pytest

from chatbot.rendering.escape import Trusted, escape_mrkdwn, markdown_to_mrkdwn, markdown_to_plain, unescape_mrkdwn
from chatbot.rendering.templates import Renderer, TemplateProblem
from tests.helpers import ROOT


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(ROOT / "templates")


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel> pay now", "&lt;!channel&gt; pay now"),
        ("<!subteam^S0ONCALL>", "&lt;!subteam^S0ONCALL&gt;"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("a & b", "a &amp; b"),
        ("&lt; already", "&amp;lt; already"),
        ("*bold* _it_ 'q' \"dq\"", "*bold* _it_ 'q' \"dq\""),
    ],
)
def test_escape_only_the_three_characters(raw, escaped):
    assert escape_mrkdwn(raw) == escaped
    assert unescape_mrkdwn(escaped) == raw


def test_trusted_text_passes_through():
    assert escape_mrkdwn(Trusted("<@U1>")) == "<@U1>"


def test_markdown_links_and_bold_become_mrkdwn_but_stray_brackets_do_not():
    out = markdown_to_mrkdwn("See **this** [article](https://example.org/x) or <!here>")
    assert out == "See *this* <https://example.org/x|article> or &lt;!here&gt;"
    assert (
        markdown_to_plain("See **this** [article](https://example.org/x)") == "See this article (https://example.org/x)"
    )


def test_user_values_are_never_evaluated_and_stay_raw_for_each_surface_to_escape(renderer):
    ctx = {"school": "{{ 7*7 }} <!channel>", "fields": {}}
    out = renderer.render_inline("School: {{ school }}", ctx)
    assert out == "School: {{ 7*7 }} <!channel>"  # as typed: the template code in it is not run
    assert escape_mrkdwn(out) == "School: {{ 7*7 }} &lt;!channel&gt;"  # and Slack shows it inert


def test_sandbox_blocks_attribute_escape(renderer):
    with pytest.raises(TemplateProblem, match=r"unsafe|access"):
        renderer.render_inline("{{ school.__class__.__mro__ }}", {"school": "x"})


def test_undefined_variable_fails_instead_of_rendering_empty(renderer):
    with pytest.raises(TemplateProblem, match="missing"):
        renderer.render_inline("Hi {{ missing }}", {})


def test_check_reports_variables_and_syntax_errors(renderer):
    assert renderer.check(source="{{ a }} {% for x in b %}{{ x }}{% endfor %}") == {"a", "b"}
    with pytest.raises(TemplateProblem, match="does not compile"):
        renderer.check(source="{% if %}")
    with pytest.raises(TemplateProblem, match="not found"):
        renderer.check(name="replies/nope.j2")
