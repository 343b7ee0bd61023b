"""Teams conversation references: where the bot may post proactively (escalation pings in a group's channel,
notices in an agent's chat), kept durably from every conversation the bot sees.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 255


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("key", sa.String(ID), nullable=False),
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("conversation_type", sa.String(16), nullable=True),
        sa.Column("service_url", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=True),
        sa.Column("team_id", sa.String(ID), nullable=True),
        sa.Column("reference_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_teams_conversations")),
    )
    op.create_index("ix_teams_conversations_tenant_id_updated_at", "teams_conversations", ["tenant_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_teams_conversations_tenant_id_updated_at", table_name="teams_conversations")
    op.drop_table("teams_conversations")
