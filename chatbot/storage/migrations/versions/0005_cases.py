"""Cases: a customer contact with its number, lifecycle and links; runs, escalations and audit events belong to one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 255
STATUSES = "status IN ('open', 'tier1', 'escalated', 'returned', 'resolved', 'closed')"


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=True),
        sa.Column("ticket", sa.String(64), nullable=True),
        sa.Column("procedure", sa.String(64), nullable=True),
        sa.Column("owner_id", sa.String(ID), nullable=False),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("channel_id", sa.String(ID), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("resolution_json", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_due", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_cases_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index("ix_cases_number", "cases", ["number"], unique=True)
    op.create_index("ix_cases_ticket", "cases", ["ticket"])
    op.create_index("ix_cases_owner_id_status", "cases", ["owner_id", "status"])
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"])
    op.create_index("ix_cases_closed_at", "cases", ["closed_at"])
    op.create_table(
        "case_counters",
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_case_counters")),
    )
    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(255), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(ID), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_links_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_links")),
    )
    op.create_index("ix_case_links_case_id", "case_links", ["case_id"])
    op.create_index("ix_case_links_kind_ref", "case_links", ["kind", "ref"])
    for table in ("runs", "escalations", "audit_events"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("case_id", sa.String(32), nullable=True))
            batch.create_foreign_key(f"fk_{table}_case_id_cases", "cases", ["case_id"], ["id"])
            batch.create_index(f"ix_{table}_case_id", ["case_id"])


def downgrade() -> None:
    for table in ("audit_events", "escalations", "runs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_case_id")
            batch.drop_constraint(f"fk_{table}_case_id_cases", type_="foreignkey")
            batch.drop_column("case_id")
    op.drop_table("case_links")
    op.drop_table("case_counters")
    op.drop_table("cases")
