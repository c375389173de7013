-- pasarela-ledger schema, version 1. One text for SQLite and PostgreSQL:
-- BIGINT and TEXT columns only, times in milliseconds since the Unix epoch.

-- One row per payment, keyed by gateway and the merchant's order number.
CREATE TABLE pasarela_payments (
    gateway        TEXT   NOT NULL,
    order_no       TEXT   NOT NULL,
    merchant       TEXT   NOT NULL,
    amount         BIGINT NOT NULL,
    currency       TEXT   NOT NULL,
    state          TEXT   NOT NULL,
    version        BIGINT NOT NULL,
    gateway_ref    TEXT,
    payment_url    TEXT,
    reason         TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    deadline_at    BIGINT NOT NULL,
    next_check_at  BIGINT,
    checks         BIGINT NOT NULL,
    -- Who works on it now (a checkout creating it, a sweeper asking about
    -- it), and until when; another instance takes it only after that.
    lease_owner    TEXT,
    lease_kind     TEXT,
    lease_until    BIGINT,
    -- Payer personal data: only when the application opts in (JSON).
    payer          TEXT,
    PRIMARY KEY (gateway, order_no)
);
CREATE INDEX pasarela_payments_due ON pasarela_payments (next_check_at);
CREATE INDEX pasarela_payments_state ON pasarela_payments (state, created_at);

-- Every fact applied to a payment, append-only.
CREATE TABLE pasarela_history (
    gateway     TEXT   NOT NULL,
    order_no    TEXT   NOT NULL,
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    fact        TEXT   NOT NULL,
    detail      TEXT   NOT NULL,
    state_from  TEXT   NOT NULL,
    state_to    TEXT   NOT NULL,
    note        TEXT   NOT NULL,
    PRIMARY KEY (gateway, order_no, seq)
);

-- Verified webhook events, unique on their event id: a repeat is seen here.
CREATE TABLE pasarela_inbox (
    gateway      TEXT   NOT NULL,
    event_id     TEXT   NOT NULL,
    order_no     TEXT   NOT NULL,
    received_at  BIGINT NOT NULL,
    detail       TEXT   NOT NULL,
    PRIMARY KEY (gateway, event_id)
);

-- Final outcomes to hand to the application: claimed with a lease,
-- acknowledged once.
CREATE TABLE pasarela_outcomes (
    id             TEXT   NOT NULL PRIMARY KEY,
    gateway        TEXT   NOT NULL,
    order_no       TEXT   NOT NULL,
    seq            BIGINT NOT NULL,
    kind           TEXT   NOT NULL,
    reason         TEXT,
    amount         BIGINT NOT NULL,
    currency       TEXT   NOT NULL,
    gateway_ref    TEXT,
    created_at     BIGINT NOT NULL,
    claimed_by     TEXT,
    claimed_until  BIGINT,
    claims         BIGINT NOT NULL,
    acked_at       BIGINT
);
CREATE INDEX pasarela_outcomes_open ON pasarela_outcomes (acked_at, claimed_until, created_at);
CREATE INDEX pasarela_outcomes_order ON pasarela_outcomes (gateway, order_no);

-- Status calls per merchant and second, shared by every instance.
CREATE TABLE pasarela_rate (
    bucket  TEXT   NOT NULL,
    second  BIGINT NOT NULL,
    used    BIGINT NOT NULL,
    PRIMARY KEY (bucket, second)
);
