"""What cases say about themselves: the details the intake asks for, and Tier II's work in words for the agent and
for the customer."""

from __future__ import annotations

from chatbot.domain.case import WorkKind

# What the customer is told Tier II has done (the status update); contacting them and notes go unsaid.
CUSTOMER_WORK = {
    WorkKind.TECH_DEV: "been working with our Tech Development team on a fix",
    WorkKind.PRODUCT_DEV: "shared your request with our Product Development team",
    WorkKind.PARTNER: "been working with our partner to resolve it",
}
WORK_LABELS = {
    WorkKind.CONTACTED: "contacted the customer",
    WorkKind.TECH_DEV: "is working with Tech Development",
    WorkKind.PRODUCT_DEV: "reported it to Product Development",
    WorkKind.PARTNER: "shared it with the partner",
    WorkKind.NOTE: "added a note",
}


# The Technical Services "helpful hint": what helps Tier I most, asked "as much as you can" (field id, label,
# several lines). The ids are those of ts-case-intake and templates/replies/case_opened.j2.
HELPFUL_DETAILS: tuple[tuple[str, str, bool], ...] = (
    ("gold_id", "User ID, class ID or child ID", False),
    ("browser", "Browser (Chrome, Firefox, Safari, ...)", False),
    ("account_email", "Email used during account creation", False),
    ("error_messages", "Error messages", True),
    ("steps_taken", "Steps taken to get to the issue", True),
)

# What Tier II can record on a case, as the work form offers it (Slack's modal, Teams' card).
WORK_CHOICES = {
    WorkKind.CONTACTED: "Contacted the customer (phone or email)",
    WorkKind.TECH_DEV: "Working with Tech Development",
    WorkKind.PRODUCT_DEV: "Reported to Product Development",
    WorkKind.PARTNER: "Shared with the partner (e.g. Clever)",
    WorkKind.NOTE: "A note",
}
# A case's status in words, wherever a case is shown.
STATUS_WORDS = {
    "open": "opened",
    "tier1": "with Tier I",
    "escalated": "escalated to Tier II",
    "returned": "returned to Tier I",
    "resolved": "resolved",
    "closed": "closed",
}
