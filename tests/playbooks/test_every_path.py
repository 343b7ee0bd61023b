"""Every root-to-end path of every shipped playbook, generically, and the playbook files themselves.

Each path is walked with every field filled (free text hostile: mentions, links and markup must stay text), and what
every customer reply owes is checked on all of them: the procedure's signature, the ticket or case number, and no
internal-only term (config `internal_only_terms`: Clever's enterprise support email, phone and hours)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from chatbot.adapters.slack.blocks import session_message
from chatbot.domain.run import RunStatus
from chatbot.engine.schema import StepKind
from tests.playbooks.paths import PATHS, PlaybookPath, follow
from tests.playbooks.walking import (
    ACTOR,
    ESCALATING,
    HOSTILE,
    ROOT,
    SEEDS,
    STUDENT_NOTE,
    TICKET_ID,
    Walk,
    check_frame,
    checked,
    config,
    flat,
    internal_terms,
    playbook,
)

IDS = [p.id for p in PATHS]
# The only address written into a playbook: the agent's link to Clever's login triage article. Addresses sent to
# customers come from the configuration (`links:`, `{{ links.name }}`), so each team can put its help centre's in.
KNOWN_URLS = {"https://support.clever.com/hc/en-us/articles/221231247"}
STUDENT_PATHS = [p for p in PATHS if "requester" in {f.id for s in playbook(p.playbook).spec.steps for f in s.fields}]


def replies(w: Walk) -> list[str]:
    """Every customer reply of the walk: those instruction steps asked for, and the outcome's."""
    out = w.view.outcome
    return [*w.step_replies, *([out.reply] if out is not None else [])]


def check_jump(w: Walk, path: PlaybookPath) -> None:
    """A jump hands over to the other playbook's first step that is not a form already answered."""
    end = playbook(path.playbook).steps[path.end]
    assert end.jump is not None and w.state.status == RunStatus.ACTIVE
    assert w.state.current == end.jump and w.view.kind != "outcome"
    assert w.passed(path.end, path.playbook)
    for step in playbook(end.jump).spec.steps:
        if step.id == w.state.step:
            break
        if step.kind == StepKind.COLLECT:
            assert step.skip_when_known and w.passed(step.id, end.jump), f"{end.jump}:{step.id} asked again"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_path_renders_safely(path: PlaybookPath) -> None:
    w = follow(path, free_text=HOSTILE)
    free_text_given = any(
        f.type in ("text", "textarea") and not f.pattern and not f.pii
        for step_id, _ in path.moves
        for f in playbook(path.playbook).steps[step_id].fields
    )
    shown = json.dumps(session_message(w.view, "r" * 32, ACTOR, config().groups).blocks)
    for raw in ("<!here>", "<@U999>", "<https://evil"):
        assert raw not in shown, f"{raw!r} reached Slack unescaped"
    for reply in w.step_replies:
        check_frame(w, reply, None)
    if playbook(path.playbook).steps[path.end].kind == StepKind.JUMP:
        check_jump(w, path)
        return
    out = w.outcome
    assert w.state.step == path.end
    assert out.reply.strip() and out.note.strip() and out.summary in out.note
    for text in (out.reply, out.note):
        for code in ("{{", "{%", "}}", "%}"):
            assert code not in text, f"{code!r}: template code reached the rendered text"
    check_frame(w, out.reply, out.note)
    if free_text_given:
        assert HOSTILE in out.note, "the note shows what the agent typed"
        assert "&lt;!here&gt;" in shown, "Slack shows what the agent typed, escaped"
    if out.kind in ESCALATING:
        assert out.group in config().groups
    if out.kind == "referred":
        assert out.referred_to


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_no_reply_on_any_path_holds_an_internal_only_term(path: PlaybookPath) -> None:
    w = follow(path)
    terms = internal_terms()
    assert {"enterprise-support@clever.com", "800.521.6516", "7am-4pm PT"} <= set(terms)
    for reply in replies(w):
        assert [t for t in terms if t.casefold() in reply.casefold()] == [], reply


@pytest.mark.parametrize("path", STUDENT_PATHS, ids=[p.id for p in STUDENT_PATHS])
def test_for_a_student_every_reply_is_written_for_the_teacher(path: PlaybookPath) -> None:
    """Students cannot be emailed: the note says to send the reply to the teacher, who is the reader."""
    w = follow(path, preset={"ticket_id": TICKET_ID, "requester": "Student"})
    if w.view.outcome is None:
        check_jump(w, path)
        return
    out = w.outcome
    assert STUDENT_NOTE in flat(out.note)
    assert "your teacher" not in out.reply.casefold() and "ask their teacher" not in out.reply.casefold()
    check_frame(w, out.reply, out.note)


def test_paths_reach_every_outcome_and_jump() -> None:
    ends = {(p.playbook, p.end) for p in PATHS}
    for pid in SEEDS:
        for step in playbook(pid).spec.steps:
            if step.kind in (StepKind.OUTCOME, StepKind.JUMP):
                assert (pid, step.id) in ends, f"{pid}:{step.id} is never reached"


def test_shipped_playbooks_lint_without_errors() -> None:
    result = checked()
    assert set(SEEDS) <= set(result.catalog.playbooks)
    assert [str(i) for i in result.errors] == []


@pytest.mark.parametrize("pid", SEEDS)
def test_replies_and_notes_are_block_scalars(pid: str) -> None:
    text = (ROOT / "playbooks" / f"{pid}.yaml").read_text(encoding="utf-8")
    for line in text.splitlines():
        m = re.match(r"^\s+(reply|note):\s*(.*)$", line)
        if m:
            # Block scalars (or a quoted string) only: a plain scalar holding ": " is not what the author meant.
            value = m.group(2)
            assert value in ("|", ">-", ">", "|-") or value[:1] in ("'", '"'), f"{pid}: plain {m.group(1)}: {line}"


@pytest.mark.parametrize("pid", SEEDS)
def test_urls_in_playbooks_are_known_and_replies_take_theirs_from_the_config(pid: str) -> None:
    text = (ROOT / "playbooks" / f"{pid}.yaml").read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"')]+", text))
    assert urls <= KNOWN_URLS, urls
    data = yaml.safe_load(text)
    for step in data["steps"]:
        for reply in (step.get("reply"), (step.get("outcome") or {}).get("reply")):
            assert not re.search(r"https?://", reply or ""), f"{pid}:{step['id']}: a literal address in a reply"
    used = set(re.findall(r"links\.([a-z][a-z0-9_]*)", text))
    assert used <= set(config().links), f"{pid} uses links the configuration lacks: {used - set(config().links)}"


def test_every_configured_link_is_sent_by_some_reply_and_is_an_address() -> None:
    used = set()
    for path in [*(ROOT / "playbooks").glob("*.yaml"), *(ROOT / "templates").rglob("*.j2")]:
        used |= set(re.findall(r"links\.([a-z][a-z0-9_]*)", path.read_text(encoding="utf-8")))
    links = config().links_text()
    assert set(links) == used
    assert all(url.startswith("https://") for url in links.values())


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_an_article_is_never_named_without_its_address(path: PlaybookPath) -> None:
    """Where the procedure says to send an article or instructions, the reply carries an address, not a title."""
    for reply in replies(follow(path)):
        text = flat(reply)
        if "Clever Overview and District Information" in text or re.search(r"\barticle\b|directions", text):
            assert re.search(r"https://\S+", text), reply


# Claims no answer on any path confirms (the agent's own words are checked per case, e.g. 7a's reproduction).
UNCONFIRMED = ("we sent", "we have sent", "we reproduced", "walked through it together", "we walked you through")


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_no_reply_claims_what_no_answer_confirmed(path: PlaybookPath) -> None:
    for reply in replies(follow(path)):
        assert [c for c in UNCONFIRMED if c in flat(reply).casefold()] == [], reply
