"""Exports read back as the same call, and personal data stays out unless asked for."""

import json

import pytest

from callkit.analytics.export import (export_call, from_json, redact_timeline, to_json,
                                      to_markdown)
from callkit.analytics.history import call_timeline

# What the known past says about Sarah (c1) and John (c2) that no export may show.
PERSONAL = ["Sarah", "Johnson", "John", "Doe", "48213", "four eight two one three", "12345",
            "4111", "john.doe@example.com", "sarah.johnson@example.com", "555-0142", "555-0199"]


def test_json_export_reads_back_as_the_same_timeline(con):
    for call_id in ("c1", "c2", "c3"):
        text = export_call(con, call_id, "json")
        timeline = from_json(text)
        assert timeline == json.loads(json.dumps(redact_timeline(call_timeline(con, call_id)),
                                                 default=str))
        assert to_json(timeline) == text
        assert to_markdown(timeline) == export_call(con, call_id, "markdown")


@pytest.mark.parametrize("fmt", ["json", "markdown"])
@pytest.mark.parametrize("call_id", ["c1", "c2"])
def test_personal_data_is_redacted_by_default(con, fmt, call_id):
    text = export_call(con, call_id, fmt)
    assert [word for word in PERSONAL if word in text] == []
    full = export_call(con, call_id, fmt, redacted=False)
    assert any(word in full for word in PERSONAL)


def test_redaction_keeps_what_the_call_is_about(con):
    text = export_call(con, "c2", "markdown")
    assert "[card ending 1111]" in text and "[email]" in text and "[phone]" in text
    assert "[customer]" in text and "[account]" in text
    assert "The bill has a $30.99 overage. — used" in text
    timeline = from_json(export_call(con, "c1", "json"))
    assert timeline["call"]["call_id"] == "c1" and timeline["customer"]["tier"] == "standard"
    assert timeline["call"]["caller_number"] == "[phone]"
    assert timeline["tool_calls"][1]["arguments"] == {"order_id": "78901"}


def test_markdown_reads_as_a_case_note(con):
    text = export_call(con, "c1", "markdown", redacted=False)
    assert text.startswith("# Sarah Johnson: order 78901 is late\n")
    assert "- **Customer** Sarah Johnson, account 48213, standard" in text
    assert "## Summary\n\nSummary of c1.\n\nAction items:\n\n- Call the customer back" in text
    assert "| 00:20 | customer | I think the package is lost, this is so frustrating. |" in text
    assert ("| 00:21 | assistant (alert, frustration) | The customer sounds frustrated. — used |"
            in text)
    assert "| 00:31 | agent action | Applied a 10% discount |" in text
    assert "| 00:20 | flag | package lost |" in text


def test_unknown_format_and_foreign_json_are_refused(con):
    with pytest.raises(ValueError):
        export_call(con, "c1", "pdf")
    with pytest.raises(ValueError):
        from_json('{"call": {}}')
