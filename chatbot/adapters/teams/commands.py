"""What people type to the bot in Teams (in a personal chat, or @mentioning it in a channel): `triage [words]`,
`oncall [away until | back]`, `case [new | NUMBER | reopen NUMBER]`, `help`, and the commands other parts of the
app add (`digest`)."""

from __future__ import annotations

from chatbot.adapters.teams import case_command, playbooks
from chatbot.adapters.teams.context import TeamsDeps, actor_of
from chatbot.adapters.teams.kit import Element, card, text_block
from chatbot.adapters.teams.oncall_cards import HELP as ONCALL_HELP
from chatbot.adapters.teams.oncall_cards import away_text, listing_card
from chatbot.adapters.teams.text import escape_text
from chatbot.adapters.teams.turns import IncomingMessage, Reply

LATER = ("digest",)  # in the bot's command menu; answered once another part of the app registers them
# (the runtime registers `digest` whenever Teams is on: adapters/teams/digest_command.py)


def help_card(unknown: str | None = None) -> Element:
    body: list[Element] = []
    if unknown:
        body.append(text_block(f"I don't know “{escape_text(unknown)}”.", color="attention"))
    body += [
        text_block("**Support playbooks**", size="medium"),
        text_block(
            "- **triage** shows the playbooks to pick from\n"
            "- **triage clever-access** starts that playbook; **triage clever login** searches titles\n"
            "- **triage clever-access 482913** starts it on Zendesk ticket 482913; a case number (TS-2026-000123) "
            "continues that case\n"
            "- **oncall** shows who is on call; **oncall away 17:00** and **oncall back** mark you away or back\n"
            "- **case new** opens a case and gives you the “case opened” reply; **case TS-2026-000123** shows one "
            "(**case help** for more)\n"
            "- **digest today** (or **yesterday**, **week**, **since 2026-11-02**) shows the leads' digest\n"
            "- **help** shows this"
        ),
        text_block(
            "Press the answer that fits; **Back** undoes the last answer, **Restart** starts over. At the end you get "
            "the customer reply and the internal note, ready to copy. Never type personal data (names, birth "
            "dates, addresses) into a Tier 1 session: use user, class or child IDs.",
            isSubtle=True,
        ),
    ]
    return card(body, fallback_text="Support playbooks: help")


async def on_message(deps: TeamsDeps, turn: IncomingMessage) -> Reply | None:
    words = turn.text.strip().split(maxsplit=1)
    verb = words[0].lower().lstrip("/") if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    if verb in ("", "help", "?"):
        return Reply(help_card())
    if verb == "triage":
        return await playbooks.triage(deps, turn, rest)
    if verb == "oncall":
        return await oncall(deps, turn, rest)
    if verb == "case":
        return await case_command.command(deps, turn, rest)
    hook = deps.commands.get(verb)
    if hook is not None:
        return await hook(turn, rest)
    if verb in LATER:
        return Reply.notice(f"“{verb}” is not available in Teams yet.")
    return Reply(help_card(unknown=turn.text.strip()[:100]))


async def oncall(deps: TeamsDeps, turn: IncomingMessage, text: str) -> Reply:
    words = text.split(maxsplit=1)
    verb = words[0].lower() if words else ""
    rest = words[1] if len(words) > 1 else ""
    user = actor_of(turn.who)
    if verb in ("help", "?"):
        return Reply.notice(ONCALL_HELP)
    if verb == "away":
        return Reply.notice(away_text(await deps.oncall.away(user, rest)))
    if verb == "back":
        was_away = await deps.oncall.back(user)
        return Reply.notice("Welcome back: pings reach you again." if was_away else "You were not marked away.")
    if verb:
        return Reply.notice("I know oncall, oncall away [until] and oncall back.")
    return Reply(listing_card(await deps.oncall.listing()))
