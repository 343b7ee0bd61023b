"""Channel holds: a post someone is waiting for keeps the worker's posts out of a busy channel until it is made.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 255


def upgrade() -> None:
    op.create_table(
        "channel_holds",
        sa.Column("channel", sa.String(ID), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_holds")),
    )


def downgrade() -> None:
    op.drop_table("channel_holds")
