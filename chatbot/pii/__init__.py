"""Personal information that Tier 1 procedures forbid in free text, found before a form is accepted.

The Technical Services procedure asks customers not to share names, birth dates, gender or addresses with Tier 1,
and to use the GOLD child ID, class ID or user ID instead. `scan` finds such details in a field's text and reports
where they are; `advice` turns the findings into the sentence shown to the agent. Neither keeps, logs nor repeats
the text: findings are offsets only.
"""

from chatbot.pii.advice import advice
from chatbot.pii.model import Finding, Kind
from chatbot.pii.phones import DEFAULT_REGION
from chatbot.pii.scanner import scan

__all__ = ["DEFAULT_REGION", "Finding", "Kind", "advice", "scan"]
