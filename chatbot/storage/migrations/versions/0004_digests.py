"""Digests for team leads: how each run ended (outcome kind, step, time), when an escalation was acknowledged and
closed and how often it was re-escalated, the answers that led to each escalation (escalation_sources), the digest
schedules as first seen (digest_schedules), and the indexes the digest's period queries use.

Existing rows are filled in where the data allows: a finished or cancelled run gets its end time (its last save) and,
when finished, the step it ended on (from its state); the kind of that outcome needs the playbooks, so old runs count
as "unknown". A closed escalation gets its last change as its closing time, and one that left "open" gets the time of
the first member's press from the audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_ACTIONS = "('escalation.acknowledge', 'escalation.claim', 'escalation.return', 'escalation.resolve')"


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("outcome_kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("outcome_playbook", sa.String(128), nullable=True))
        batch.add_column(sa.Column("outcome_step", sa.String(128), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_runs_finished_at", ["finished_at"])
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reescalations", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_escalations_created_at", ["created_at"])
        batch.create_index("ix_escalations_acknowledged_at", ["acknowledged_at"])
        batch.create_index("ix_escalations_closed_at", ["closed_at"])

    op.create_table(
        "escalation_sources",
        sa.Column("escalation_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("playbook", sa.String(128), nullable=False),
        sa.Column("step", sa.String(128), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"], ["escalations.id"], name=op.f("fk_escalation_sources_escalation_id_escalations")
        ),
        sa.PrimaryKeyConstraint("escalation_id", "position", name=op.f("pk_escalation_sources")),
    )
    op.create_table(
        "digest_schedules",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("cron", sa.String(255), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_schedules")),
    )
    _fill_in()


def _fill_in() -> None:
    op.execute("UPDATE runs SET finished_at = updated_at WHERE status IN ('finished', 'cancelled')")
    if op.get_bind().dialect.name == "postgresql":
        ended_on = "(state_json::json ->> 'current'), (state_json::json ->> 'step')"
    else:
        ended_on = "json_extract(state_json, '$.current'), json_extract(state_json, '$.step')"
    op.execute(f"UPDATE runs SET (outcome_playbook, outcome_step) = (SELECT {ended_on}) WHERE status = 'finished'")
    op.execute("UPDATE escalations SET closed_at = updated_at WHERE status IN ('returned', 'resolved')")
    # The audit event of a member's press names the escalation in its detail ({"escalation":"<id>",...}).
    op.execute(
        "UPDATE escalations SET acknowledged_at = (SELECT MIN(a.at) FROM audit_events a "
        f"WHERE a.action IN {MEMBER_ACTIONS} "
        "AND (a.run_id = escalations.run_id OR (a.run_id IS NULL AND escalations.run_id IS NULL)) "
        "AND a.detail_json LIKE '%\"escalation\":\"' || escalations.id || '\"%') "
        "WHERE status <> 'open'"
    )


def downgrade() -> None:
    op.drop_table("digest_schedules")
    op.drop_table("escalation_sources")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_index("ix_escalations_closed_at")
        batch.drop_index("ix_escalations_acknowledged_at")
        batch.drop_index("ix_escalations_created_at")
        batch.drop_column("reescalations")
        batch.drop_column("closed_at")
        batch.drop_column("acknowledged_at")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_finished_at")
        batch.drop_column("finished_at")
        batch.drop_column("outcome_step")
        batch.drop_column("outcome_playbook")
        batch.drop_column("outcome_kind")
