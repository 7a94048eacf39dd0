"""The read models' tables and statements, valid on both PostgreSQL and SQLite.

Placeholders are ``?``; the PostgreSQL store turns them into ``%s``. Table
names are formatted in from ``TableSet`` (our own constants, never input),
so a rebuild can fill a second set of tables and swap it in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSet:
    """The names of one complete set of read-model tables."""

    partners: str
    audit: str
    chain: str

    @property
    def audit_index(self) -> str:
        """The name of the audit trail's by-partner index."""
        return f"{self.audit}_by_partner"

    @property
    def position_index(self) -> str:
        """The name of the partners' by-position index: the feed publisher reads the rows
        changed since it last looked, which without it cost a scan of the register."""
        return f"{self.partners}_by_position"

    @property
    def name_index(self) -> str:
        """The name of the partners' by-name (substring) index."""
        return f"{self.partners}_by_name"


LIVE = TableSet(partners="rm_partners", audit="rm_audit_trail", chain="rm_chain")
NEXT = TableSet(partners="rm_partners_next", audit="rm_audit_trail_next", chain="rm_chain_next")

PARTNER_COLUMNS = (
    "partner_id", "name", "legal_name", "registration_number", "website", "commission_terms",
    "legal_form", "exemption_basis", "status", "registered_on",
    "terminated_on", "termination_reason", "suspended_on", "withdrawn_on", "withdrawal_reason",
    "latest_outcome", "latest_evaluated_on", "latest_rule_set", "latest_criteria",
    "open_warnings", "objections", "corrections", "version", "position", "updated_at",
)  # fmt: skip
AUDIT_COLUMNS = (
    "sequence", "position", "partner_id", "version", "event_type", "actor", "reason",
    "recorded_at", "effective_date", "body", "chain_hash", "checkpoint",
)  # fmt: skip
SEARCH_COLUMNS = (*PARTNER_COLUMNS, "name_key")
"""What is written for a partner: its row, and its name as searched (``name_key``)."""
SCHEMA_MARK = "rm_schema_v6"
"""The table created last: present only when every table has this version's columns."""
_OLDER_MARKS = ("rm_schema_v2", "rm_schema_v3", "rm_schema_v4", "rm_schema_v5")


def create_tables(tables: TableSet) -> list[str]:
    """Statements creating one table set (if missing)."""
    return [
        f"""CREATE TABLE IF NOT EXISTS {tables.partners} (
            partner_id TEXT PRIMARY KEY, name TEXT NOT NULL, legal_name TEXT,
            registration_number TEXT, website TEXT, commission_terms TEXT, legal_form TEXT NOT NULL,
            exemption_basis TEXT, status TEXT NOT NULL, registered_on TEXT NOT NULL,
            terminated_on TEXT, termination_reason TEXT, suspended_on TEXT, withdrawn_on TEXT,
            withdrawal_reason TEXT, latest_outcome TEXT,
            latest_evaluated_on TEXT, latest_rule_set TEXT, latest_criteria TEXT NOT NULL,
            open_warnings TEXT NOT NULL, objections TEXT NOT NULL,
            corrections TEXT NOT NULL,
            version BIGINT NOT NULL,
            position BIGINT NOT NULL, updated_at TEXT NOT NULL, name_key TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {tables.audit} (
            sequence BIGINT PRIMARY KEY, position BIGINT NOT NULL, partner_id TEXT NOT NULL,
            version BIGINT NOT NULL, event_type TEXT NOT NULL, actor TEXT NOT NULL,
            reason TEXT NOT NULL, recorded_at TEXT NOT NULL, effective_date TEXT NOT NULL,
            body TEXT NOT NULL, chain_hash TEXT NOT NULL, checkpoint TEXT NOT NULL DEFAULT '')""",
        *create_indexes(tables),
        f"""CREATE TABLE IF NOT EXISTS {tables.chain} (
            id INTEGER PRIMARY KEY CHECK (id = 1), sequence BIGINT NOT NULL,
            chain_hash TEXT NOT NULL, frontier TEXT NOT NULL DEFAULT '')""",
        f"""INSERT INTO {tables.chain} (id, sequence, chain_hash) VALUES (1, 0, ?)
            ON CONFLICT (id) DO NOTHING""",
    ]


CREATE_SHARED = [
    """CREATE TABLE IF NOT EXISTS rm_consumer (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset BIGINT NOT NULL,
        end_offset BIGINT, updated_at TEXT NOT NULL, PRIMARY KEY (topic, partition))""",
    """CREATE TABLE IF NOT EXISTS rm_generation (
        id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL)""",
    "INSERT INTO rm_generation (id, generation) VALUES (1, 1) ON CONFLICT (id) DO NOTHING",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA_MARK} (id INTEGER PRIMARY KEY)",
]


def drop_everything() -> list[str]:
    """Statements dropping every read-model table (older versions' too), to start afresh."""
    return [
        *drop_tables(LIVE), *drop_tables(NEXT),
        *(f"DROP TABLE IF EXISTS {name}"
          for name in ("rm_consumer", "rm_generation", SCHEMA_MARK, *_OLDER_MARKS)),
    ]  # fmt: skip


def drop_tables(tables: TableSet) -> list[str]:
    """Statements dropping one table set."""
    return [
        f"DROP TABLE IF EXISTS {name}" for name in (tables.partners, tables.audit, tables.chain)
    ]


def swap_in(fresh: TableSet, live: TableSet) -> list[str]:
    """Statements replacing the live tables by the fresh ones (inside one transaction)."""
    return [
        *drop_tables(live),
        f"ALTER TABLE {fresh.partners} RENAME TO {live.partners}",
        f"ALTER TABLE {fresh.audit} RENAME TO {live.audit}",
        f"ALTER TABLE {fresh.chain} RENAME TO {live.chain}",
        f"DROP INDEX IF EXISTS {fresh.audit_index}",
        f"DROP INDEX IF EXISTS {fresh.position_index}",
        *create_indexes(live),
    ]


def create_indexes(tables: TableSet) -> list[str]:
    """Statements creating one table set's indexes (renamed tables keep theirs under the
    fresh set's names, so a swap drops those and creates these)."""
    return [
        f"CREATE INDEX IF NOT EXISTS {tables.audit_index} ON {tables.audit} (partner_id, version)",
        f"CREATE INDEX IF NOT EXISTS {tables.position_index} ON {tables.partners} (position)",
    ]


def upsert_partner(tables: TableSet) -> str:
    """Insert a partner row, or replace the existing one."""
    columns = ", ".join(SEARCH_COLUMNS)
    marks = ", ".join("?" for _ in SEARCH_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in SEARCH_COLUMNS[1:])
    return (
        f"INSERT INTO {tables.partners} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT (partner_id) DO UPDATE SET {updates}"
    )


def select_partners(tables: TableSet, where: str = "") -> str:
    """Partner rows, optionally filtered."""
    return f"SELECT {', '.join(PARTNER_COLUMNS)} FROM {tables.partners} {where}"


def count_partners(tables: TableSet, where: str = "") -> str:
    """How many partner rows, optionally filtered."""
    return f"SELECT count(*) FROM {tables.partners} {where}"


def select_entries(tables: TableSet, where: str = "") -> str:
    """Audit entries, optionally filtered."""
    return f"SELECT {', '.join(AUDIT_COLUMNS)} FROM {tables.audit} {where}"


SAVE_OFFSET = """INSERT INTO rm_consumer (topic, partition, next_offset, updated_at)
    VALUES (?, ?, ?, ?) ON CONFLICT (topic, partition)
    DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at"""
SAVE_END_OFFSET = """UPDATE rm_consumer SET end_offset = ?, updated_at = ?
    WHERE topic = ? AND partition = ?"""


def select_chain(tables: TableSet, suffix: str = "") -> str:
    """The chain head; ``suffix`` may lock it (FOR UPDATE)."""
    return f"SELECT sequence, chain_hash, frontier FROM {tables.chain}{suffix}"


def forget_checkpoints(tables: TableSet) -> str:
    """Blank the signed checkpoints of entries that joined the verified trail.

    A checkpoint is kept only to check a waiting entry when the trail reaches
    it; once joined, the entry is the same whether it came from the topic or
    from the store.
    """
    return (
        f"UPDATE {tables.audit} SET checkpoint = '' "
        "WHERE sequence >= ? AND sequence <= ? AND checkpoint <> ''"
    )


def update_chain(tables: TableSet) -> str:
    """Move the chain head."""
    return f"UPDATE {tables.chain} SET sequence = ?, chain_hash = ?, frontier = ? WHERE id = 1"


def select_generation(suffix: str = "") -> str:
    """The generation of the live tables; ``suffix`` may lock it (FOR SHARE)."""
    return f"SELECT generation FROM rm_generation{suffix}"


def verified_after(tables: TableSet) -> str:
    """The clause selecting verified entries after a sequence, up to a limit."""
    return (
        f"WHERE sequence > ? AND sequence <= (SELECT sequence FROM {tables.chain}) "
        "ORDER BY sequence LIMIT ?"
    )


def verified_before_latest() -> str:
    """The clause selecting the latest verified entries, newest first, up to a limit."""
    return f"WHERE sequence <= (SELECT sequence FROM {LIVE.chain}) ORDER BY sequence DESC LIMIT ?"


def verified_in_effect_by() -> str:
    """The clause selecting verified entries effective on or before a date."""
    return (
        f"WHERE effective_date <= ? AND sequence <= (SELECT sequence FROM {LIVE.chain}) "
        "ORDER BY sequence"
    )


def verified_of_partner() -> str:
    """The clause selecting a partner's verified entries, in order."""
    return (
        f"WHERE partner_id = ? AND sequence <= (SELECT sequence FROM {LIVE.chain}) "
        "ORDER BY sequence"
    )
