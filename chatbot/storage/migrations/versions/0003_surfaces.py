"""Surfaces: runs and escalations know where they live (Slack or Teams), ids long enough for Teams, an escalation's
pings per surface (escalation_posts), a person asked first, and jobs that record when an attempt began posting and
may carry a unique key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 255
SURFACE_CHECK = "surface IN ('slack', 'teams')"


def _widen(table: str, columns: dict[str, bool], old: int = 32) -> None:
    with op.batch_alter_table(table) as batch:
        for name, nullable in columns.items():
            batch.alter_column(name, type_=sa.String(ID), existing_type=sa.String(old), existing_nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("surface", sa.String(16), server_default="slack", nullable=False))
        batch.create_check_constraint("surface", SURFACE_CHECK)
    _widen("runs", {"team_id": False, "channel_id": False, "message_ts": True, "owner_id": False})
    _widen("audit_events", {"actor": False}, old=64)
    _widen("away_marks", {"user_id": False})

    op.create_table(
        "escalation_posts",
        sa.Column("escalation_id", sa.String(32), nullable=False),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(ID), nullable=False),
        sa.Column("message_id", sa.String(ID), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"], ["escalations.id"], name=op.f("fk_escalation_posts_escalation_id_escalations")
        ),
        sa.PrimaryKeyConstraint("escalation_id", "surface", name=op.f("pk_escalation_posts")),
    )
    op.execute(
        "INSERT INTO escalation_posts (escalation_id, surface, channel, message_id, created_at) "
        "SELECT id, 'slack', ping_channel, ping_ts, updated_at FROM escalations WHERE ping_ts IS NOT NULL"
    )
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("person", sa.String(64), nullable=True))
        batch.add_column(sa.Column("agent_surface", sa.String(16), nullable=True))
        batch.drop_column("ping_channel")
        batch.drop_column("ping_ts")
    op.execute("UPDATE escalations SET agent_surface = 'slack' WHERE agent_channel IS NOT NULL")
    _widen("escalations", {"created_by": False, "agent_channel": True, "agent_message_ts": True, "handled_by": True})

    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("attempt_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("key", sa.String(255), nullable=True))
        batch.create_index("ix_jobs_key", ["key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_key")
        batch.drop_column("key")
        batch.drop_column("attempt_started_at")
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("ping_channel", sa.String(32), nullable=True))
        batch.add_column(sa.Column("ping_ts", sa.String(32), nullable=True))
    op.execute(
        "UPDATE escalations SET ping_channel = (SELECT channel FROM escalation_posts p WHERE p.escalation_id = "
        "escalations.id AND p.surface = 'slack'), ping_ts = (SELECT message_id FROM escalation_posts p WHERE "
        "p.escalation_id = escalations.id AND p.surface = 'slack')"
    )
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("agent_surface")
        batch.drop_column("person")
    op.drop_table("escalation_posts")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("surface", type_="check")
        batch.drop_column("surface")
