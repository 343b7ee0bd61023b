"""The PII check on Tier 1 free text: corpus recall and false-positive rate, offsets, the agent's message, the CLI."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.cli import main
from chatbot.pii import Finding, Kind, advice, scan

ROOT = Path(__file__).resolve().parents[1]
CORPUS = [json.loads(line) for line in (ROOT / "tests/fixtures/pii/corpus.jsonl").read_text().splitlines() if line]
POSITIVES = [row for row in CORPUS if row["kinds"]]
NEGATIVES = [row for row in CORPUS if not row["kinds"]]

MIN_RECALL = 0.9
MAX_FALSE_POSITIVE_RATE = 0.05


def kinds(text: str) -> set[str]:
    return {str(f.kind) for f in scan(text)}


def test_corpus_is_large_enough_and_well_formed():
    assert len(POSITIVES) >= 70 and len(NEGATIVES) >= 70
    assert all(set(row["kinds"]) <= set(Kind) for row in CORPUS)
    assert {k for row in POSITIVES for k in row["kinds"]} == set(Kind), "every kind has positives"
    assert len({row["text"] for row in CORPUS}) == len(CORPUS), "no duplicate texts"


def test_corpus_recall_and_false_positive_rate():
    missed = [row for row in POSITIVES if not set(row["kinds"]) <= kinds(row["text"])]
    flagged = [row for row in NEGATIVES if scan(row["text"])]
    recall = 1 - len(missed) / len(POSITIVES)
    fpr = len(flagged) / len(NEGATIVES)
    print(
        f"\nPII corpus: {len(POSITIVES)} positives, {len(NEGATIVES)} negatives; "
        f"recall {recall:.3f} ({len(POSITIVES) - len(missed)}/{len(POSITIVES)}), "
        f"false-positive rate {fpr:.3f} ({len(flagged)}/{len(NEGATIVES)})"
    )
    for kind in Kind:
        with_kind = [row for row in POSITIVES if kind in row["kinds"]]
        found = sum(1 for row in with_kind if kind in kinds(row["text"]))
        print(f"  {kind}: {found}/{len(with_kind)}")
    for row in missed:
        print(f"  missed {row['kinds']}: {row['text']}")
    for row in flagged:
        print(f"  false positive {sorted(kinds(row['text']))}: {row['text']}")
    assert recall >= MIN_RECALL
    assert fpr <= MAX_FALSE_POSITIVE_RATE


def test_findings_are_sorted_disjoint_and_inside_the_text():
    for row in CORPUS:
        text = row["text"]
        found = scan(text)
        assert all(isinstance(f.kind, Kind) and 0 <= f.start < f.end <= len(text) for f in found), text
        assert all(a.end <= b.start for a, b in itertools.pairwise(found)), text


@pytest.mark.parametrize(
    "text",
    [
        "Clever ID 5f3a9c2e8b1d4f6a7c9e0b12",
        "Salesforce 0015000000AbCdE and 0015000000AbCdEFGH",
        "Zendesk 482913, #482913",
        "case TS-2026-000123",
        "version 4.2.1 of the 2014 eBook",
        "broken since 2026-11-02, again on 11/3 at 9am, started Monday",
        "Lincoln High School, Springfield Public Schools, Room 204",
        "Ms. Alvarez's class, section SPN1-03",
        "Chrome 119.0.6045.159 on ChromeOS 118.0.5993.164",
        "error 0x80070005 and ERR_CONNECTION_RESET",
        "https://vhlcentral.com/user/2175550142/profile",
        "requester m.alvarez@springfieldps.org, teacher",
        "user ID 2345678901",
    ],
)
def test_support_identifiers_are_not_flagged(text: str):
    assert scan(text) == []


def span_of(text: str, value: str) -> tuple[int, int]:
    start = text.index(value)
    return start, start + len(value)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Please call the parent at (217) 555-0142 after 3pm.", Kind.PHONE_NUMBER, "(217) 555-0142"),
        ("DOB: 2014-03-07, grade 5", Kind.DATE_OF_BIRTH, "2014-03-07"),
        ("Mom says the birthday is March 7, 2014.", Kind.DATE_OF_BIRTH, "March 7, 2014"),
        (
            "Student Emma Johnson, DOB 03/07/2014, can't log in",
            Kind.NAME_WITH_BIRTH_DATE,
            "Emma Johnson, DOB 03/07/2014",
        ),
        ("Parent of a 7-year-old boy in Room 4", Kind.AGE_WITH_GENDER, "7-year-old boy"),
        (
            "They live at 1428 Elm Street, Apt 3B, Springfield, IL 62704 now",
            Kind.HOME_ADDRESS,
            "1428 Elm Street, Apt 3B, Springfield, IL 62704",
        ),
        ("Send it to PO Box 482, Bend, OR 97701.", Kind.HOME_ADDRESS, "PO Box 482, Bend, OR 97701"),
        ("her son's email is jayden2014@gmail.com, please unlink", Kind.CHILD_EMAIL, "jayden2014@gmail.com"),
    ],
)
def test_offsets_cover_exactly_the_value(text: str, kind: Kind, value: str):
    assert scan(text) == [Finding(kind, *span_of(text, value))]


def test_several_kinds_come_back_in_text_order():
    text = "7-year-old boy, mom's cell 312-555-0199, lives at 77 Maple Ave, Dayton, OH 45402"
    assert [(f.kind, text[f.start : f.end]) for f in scan(text)] == [
        (Kind.AGE_WITH_GENDER, "7-year-old boy"),
        (Kind.PHONE_NUMBER, "312-555-0199"),
        (Kind.HOME_ADDRESS, "77 Maple Ave, Dayton, OH 45402"),
    ]


def test_a_teachers_email_is_not_a_childs_but_the_same_address_for_a_student_is():
    assert scan("Teacher jalvarez@gmail.com says 3 students can't log in.") == []
    assert kinds("The student signed up with jalvarez@gmail.com instead.") == {Kind.CHILD_EMAIL}
    assert kinds("Student email: jsmith24@students.springfieldps.org") == {Kind.CHILD_EMAIL}


def test_phone_region_is_configurable():
    text = "Dad's number is 020 7946 0958."
    assert scan(text) == []
    assert scan(text, region="GB") == [Finding(Kind.PHONE_NUMBER, *span_of(text, "020 7946 0958"))]


def test_findings_are_frozen():
    finding = scan("call (217) 555-0142")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 0  # type: ignore[misc]


def test_advice_names_kinds_and_the_ids_to_use_instead():
    text = "call (217) 555-0142 or write to PO Box 19, Verona, WI 53593"
    assert advice(scan(text)) == (
        "This looks like a phone number and a home address: use the user, class or child ID instead."
    )
    three = scan("Emma Johnson DOB 3/7/2014, 7-year-old boy, cell 312-555-0199")
    assert advice(three, "Notes") == (
        "Notes looks like a name with a birth date, an age with a gender and a phone number: "
        "use the user, class or child ID instead."
    )


def test_advice_lists_each_kind_once():
    text = "cell 312-555-0199, home phone (217) 555-0142"
    assert len(scan(text)) == 2
    assert advice(scan(text)).count("a phone number") == 1


def test_advice_never_repeats_what_was_found():
    for row in POSITIVES:
        text = row["text"]
        found = scan(text)
        if not found:
            continue
        message = advice(found, "Description")
        for f in found:
            assert text[f.start : f.end] not in message, text
        # Digits in the message would be part of a value (a date, a number): the wording has none.
        assert not any(ch.isdigit() for ch in message), message


def test_advice_needs_findings():
    with pytest.raises(ValueError):
        advice([])


def test_scan_logs_nothing(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    for row in CORPUS:
        scan(row["text"])
    assert caplog.records == []


def test_cli_prints_one_json_line_per_input_line_without_the_text(monkeypatch, capsys):
    lines = ["Teacher can't log in since 2026-11-02", "call (217) 555-0142", "", "DOB 03/07/2014, 12 yo girl"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["pii", "scan"]) == 0
    out = capsys.readouterr().out
    results = [json.loads(line) for line in out.splitlines()]
    assert results == [
        {"findings": []},
        {"findings": [{"kind": "phone_number", "start": 5, "end": 19}]},
        {"findings": []},
        {
            "findings": [
                {"kind": "date_of_birth", "start": 4, "end": 14},
                {"kind": "age_with_gender", "start": 16, "end": 26},
            ]
        },
    ]
    assert "555-0142" not in out and "03/07/2014" not in out and "girl" not in out


def test_cli_as_a_command_with_a_region():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CHATBOT_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "-m", "chatbot", "pii", "scan", "--region", "GB"],
        input="ring 020 7946 0958\r\nnothing here\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '{"findings": [{"kind": "phone_number", "start": 5, "end": 18}]}',
        '{"findings": []}',
    ]
