-- callkit schema: the seed exercise's six tables plus what the features need.
-- Every statement is idempotent, so opening a database always brings it up to date.

CREATE SEQUENCE IF NOT EXISTS customers_id_seq;
CREATE TABLE IF NOT EXISTS customers (
    id              INTEGER PRIMARY KEY DEFAULT nextval('customers_id_seq'),
    name            VARCHAR NOT NULL,
    email           VARCHAR UNIQUE,
    phone           VARCHAR,
    account_number  VARCHAR UNIQUE,
    tier            VARCHAR NOT NULL DEFAULT 'standard'
                    CHECK (tier IN ('standard', 'gold', 'platinum')),
    status          VARCHAR NOT NULL DEFAULT 'active',
    lifetime_value  DECIMAL(10, 2),
    created_at      TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS customer_notes (
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    kind        VARCHAR NOT NULL CHECK (kind IN ('note', 'preference')),
    text        VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    id                  VARCHAR PRIMARY KEY,
    name                VARCHAR NOT NULL,
    category            VARCHAR NOT NULL,
    price               DECIMAL(10, 2) NOT NULL,
    return_window_days  INTEGER NOT NULL,
    return_policy       VARCHAR NOT NULL  -- the id of the knowledge-base row of its return terms
);

CREATE SEQUENCE IF NOT EXISTS orders_id_seq;
CREATE TABLE IF NOT EXISTS orders (
    id              INTEGER PRIMARY KEY DEFAULT nextval('orders_id_seq'),
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    order_number    VARCHAR UNIQUE NOT NULL,
    product_id      VARCHAR REFERENCES products (id),
    product_name    VARCHAR NOT NULL,
    amount          DECIMAL(10, 2) NOT NULL,
    status          VARCHAR NOT NULL,
    order_date      TIMESTAMP NOT NULL,
    shipped_at      TIMESTAMP,
    carrier         VARCHAR,
    tracking_number VARCHAR,
    eta             DATE,
    delivered_at    TIMESTAMP
);

CREATE SEQUENCE IF NOT EXISTS tickets_id_seq;
CREATE TABLE IF NOT EXISTS tickets (
    id            INTEGER PRIMARY KEY DEFAULT nextval('tickets_id_seq'),
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    ticket_number VARCHAR UNIQUE NOT NULL,
    subject       VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    priority      VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    resolved_at   TIMESTAMP
);

-- A monthly bill and its lines, so "why is my bill so high" has a real answer.
CREATE SEQUENCE IF NOT EXISTS invoices_id_seq;
CREATE TABLE IF NOT EXISTS invoices (
    id          INTEGER PRIMARY KEY DEFAULT nextval('invoices_id_seq'),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    billed_on   DATE NOT NULL,
    total       DECIMAL(10, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_lines (
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    description VARCHAR NOT NULL,
    amount      DECIMAL(10, 2) NOT NULL
);

-- The knowledge base the assistant searches (BM25 through the fts extension): policies, FAQs
-- and return terms, seeded from callkit/store/knowledge.json and editable in place.
CREATE TABLE IF NOT EXISTS policies (
    id       VARCHAR PRIMARY KEY,
    title    VARCHAR NOT NULL,
    body     VARCHAR NOT NULL,
    kind     VARCHAR,  -- policy, faq or product
    topic    VARCHAR,  -- the suggestion topic of an answer from this row
    category VARCHAR   -- for return terms: the product category they govern
);
ALTER TABLE policies ADD COLUMN IF NOT EXISTS kind VARCHAR;
ALTER TABLE policies ADD COLUMN IF NOT EXISTS topic VARCHAR;
ALTER TABLE policies ADD COLUMN IF NOT EXISTS category VARCHAR;

-- Calls and what happened in them. Call rows are written by the recorder; children refer to
-- calls by call_id without a foreign key because DuckDB forbids updating a referenced row,
-- and a call row is updated as the call goes on.
CREATE TABLE IF NOT EXISTS calls (
    call_id          VARCHAR PRIMARY KEY,
    customer_id      INTEGER,
    agent_name       VARCHAR,
    title            VARCHAR,
    start_time       TIMESTAMP NOT NULL,
    end_time         TIMESTAMP,
    duration_seconds DOUBLE,
    status           VARCHAR NOT NULL CHECK (status IN ('active', 'completed', 'abandoned')),
    sentiment        VARCHAR,
    summary          VARCHAR,
    recording_url    VARCHAR,
    caller_number    VARCHAR,  -- the caller ID, when the caller gave one
    end_reason       VARCHAR   -- "customer hung up", "agent ended the call", a drop...
);
ALTER TABLE calls ADD COLUMN IF NOT EXISTS caller_number VARCHAR;
ALTER TABLE calls ADD COLUMN IF NOT EXISTS end_reason VARCHAR;

CREATE SEQUENCE IF NOT EXISTS transcripts_id_seq;
CREATE TABLE IF NOT EXISTS transcripts (
    id         INTEGER PRIMARY KEY DEFAULT nextval('transcripts_id_seq'),
    call_id    VARCHAR NOT NULL,
    speaker    VARCHAR NOT NULL CHECK (speaker IN ('customer', 'agent')),
    turn       INTEGER,
    text       VARCHAR NOT NULL,
    timestamp  TIMESTAMP NOT NULL,
    start_s    DOUBLE NOT NULL,
    end_s      DOUBLE NOT NULL,
    confidence DOUBLE,
    sentiment  DOUBLE,
    words      JSON
);

CREATE TABLE IF NOT EXISTS ai_suggestions (
    id              VARCHAR PRIMARY KEY,
    call_id         VARCHAR NOT NULL,
    suggestion_type VARCHAR NOT NULL CHECK (suggestion_type IN ('suggestion', 'alert', 'info')),
    priority        VARCHAR NOT NULL,
    topic           VARCHAR NOT NULL,
    message         VARCHAR NOT NULL,
    used            BOOLEAN NOT NULL DEFAULT false,
    feedback        VARCHAR CHECK (feedback IN ('used', 'dismissed')),
    timestamp       TIMESTAMP NOT NULL,
    sources         JSON  -- the facts the card rests on (assistant/sources.py)
);
-- Files made before a column existed get it when opened (the schema runs on every open).
ALTER TABLE ai_suggestions ADD COLUMN IF NOT EXISTS sources JSON;

CREATE SEQUENCE IF NOT EXISTS tool_calls_id_seq;
CREATE TABLE IF NOT EXISTS tool_calls (
    id         INTEGER PRIMARY KEY DEFAULT nextval('tool_calls_id_seq'),
    call_id    VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    arguments  JSON NOT NULL,
    result     JSON NOT NULL,
    duration_s DOUBLE NOT NULL,
    timestamp  TIMESTAMP NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS agent_actions_id_seq;
CREATE TABLE IF NOT EXISTS agent_actions (
    id        INTEGER PRIMARY KEY DEFAULT nextval('agent_actions_id_seq'),
    call_id   VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    payload   JSON,
    timestamp TIMESTAMP NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS flagged_moments_id_seq;
CREATE TABLE IF NOT EXISTS flagged_moments (
    id        INTEGER PRIMARY KEY DEFAULT nextval('flagged_moments_id_seq'),
    call_id   VARCHAR NOT NULL,
    at_s      DOUBLE NOT NULL,
    note      VARCHAR,
    timestamp TIMESTAMP NOT NULL
);

-- When each moment of a turn happened (LatencyMark events, callkit/events.py MARKS), one row
-- per turn of a leg, for the latency waterfall (callkit/analytics). A mark reached twice (the
-- first token of a second suggestion on the same turn) keeps its first time.
CREATE TABLE IF NOT EXISTS turn_latency (
    call_id         VARCHAR NOT NULL,
    leg             VARCHAR NOT NULL,
    turn            INTEGER NOT NULL,
    speech_start    TIMESTAMP,
    speech_end      TIMESTAMP,  -- the speaker stopped (the audio reached the kernel)
    first_partial   TIMESTAMP,
    final           TIMESTAMP,  -- the final transcript was published
    first_token     TIMESTAMP,  -- the first word of a suggestion answering this turn's final
    early_token     TIMESTAMP,  -- ...answering a partial of it, before the speaker stopped
    suggestion_done TIMESTAMP,
    shown           TIMESTAMP,  -- a view of the agent's console painted that first word
    PRIMARY KEY (call_id, leg, turn)
);
ALTER TABLE turn_latency ADD COLUMN IF NOT EXISTS early_token TIMESTAMP;

CREATE TABLE IF NOT EXISTS call_summaries (
    call_id      VARCHAR PRIMARY KEY,
    reason       VARCHAR NOT NULL,
    resolution   VARCHAR NOT NULL,
    action_items JSON NOT NULL,
    sentiment    VARCHAR NOT NULL,
    text         VARCHAR NOT NULL,
    topics       JSON,
    open_questions JSON,
    written_by   VARCHAR,
    created_at   TIMESTAMP NOT NULL
);

-- What the agent console's quick actions do (see store/actions.py): each row points at the
-- agent_actions row of the click (action_id). customer_id has no foreign key, as in calls:
-- re-seeding empties customers, and a promise made on a call must outlive that. A row that
-- cannot take effect yet (no customer identified, already given) is kept with status 'held'
-- and hold_reason saying why, so the back office sees every promise made to a caller.
CREATE SEQUENCE IF NOT EXISTS credits_id_seq;
CREATE TABLE IF NOT EXISTS credits (
    id           INTEGER PRIMARY KEY DEFAULT nextval('credits_id_seq'),
    action_id    INTEGER,
    call_id      VARCHAR NOT NULL,
    customer_id  INTEGER,
    order_number VARCHAR,           -- the order discounted, or NULL for a bill discount
    invoice_id   INTEGER,           -- the bill discounted when no order was under discussion
    percent      DECIMAL(5, 2) NOT NULL,
    amount       DECIMAL(10, 2),    -- NULL while there is nothing to take the percent of
    reason       VARCHAR NOT NULL,
    status       VARCHAR NOT NULL CHECK (status IN ('applied', 'held')),
    hold_reason  VARCHAR,
    created_at   TIMESTAMP NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS fee_reversals_id_seq;
CREATE TABLE IF NOT EXISTS fee_reversals (
    id           INTEGER PRIMARY KEY DEFAULT nextval('fee_reversals_id_seq'),
    action_id    INTEGER,
    call_id      VARCHAR NOT NULL,
    customer_id  INTEGER,
    order_number VARCHAR,
    invoice_id   INTEGER,
    fee          VARCHAR,           -- the bill line waived, e.g. 'data overage'
    amount       DECIMAL(10, 2),
    reason       VARCHAR NOT NULL,
    status       VARCHAR NOT NULL CHECK (status IN ('applied', 'held')),
    hold_reason  VARCHAR,
    created_at   TIMESTAMP NOT NULL
);

-- An escalation of a call, and the ticket it raised ('escalated': an open ticket of the
-- caller's was marked escalated; 'opened': a new escalated ticket; 'linked': the ticket was
-- already escalated; NULL: no customer to hold a ticket, the supervisor takes it from the call).
CREATE SEQUENCE IF NOT EXISTS escalations_id_seq;
CREATE TABLE IF NOT EXISTS escalations (
    id            INTEGER PRIMARY KEY DEFAULT nextval('escalations_id_seq'),
    action_id     INTEGER,
    call_id       VARCHAR NOT NULL,
    customer_id   INTEGER,
    order_number  VARCHAR,
    ticket_number VARCHAR,
    ticket_action VARCHAR CHECK (ticket_action IN ('escalated', 'opened', 'linked')),
    reason        VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS callbacks_id_seq;
CREATE TABLE IF NOT EXISTS callbacks (
    id           INTEGER PRIMARY KEY DEFAULT nextval('callbacks_id_seq'),
    action_id    INTEGER,
    call_id      VARCHAR NOT NULL,
    customer_id  INTEGER,
    order_number VARCHAR,
    phone        VARCHAR,
    due_at       TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL DEFAULT 'scheduled'
                 CHECK (status IN ('scheduled', 'done', 'cancelled')),
    note         VARCHAR,
    created_at   TIMESTAMP NOT NULL
);

-- Full-text search of what was said in each call (store/transcript_search.py). The index
-- (schema fts_main_call_words) is built from call_words, one row per call with all its lines,
-- which is emptied again once the index is built: the index keeps its own copy of the words.
-- call_words_index holds the last transcript line the index has read.
CREATE TABLE IF NOT EXISTS call_words (call_id VARCHAR, text VARCHAR);
CREATE TABLE IF NOT EXISTS call_words_index (last_id BIGINT NOT NULL);
