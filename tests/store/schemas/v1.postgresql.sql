-- sdrs-bot schema version 1 on PostgreSQL, frozen: pg_dump --schema-only of what the pre-Alembic
-- migrator (bot/store/schema.py at 69782fd) created. Do not edit: tests/test_store_migrations.py upgrades a database made from it.
CREATE TABLE public.audit_events (
    id integer NOT NULL,
    at double precision NOT NULL,
    action character varying(32) NOT NULL,
    op_id character varying(32),
    job_id character varying(64),
    actor character varying(32),
    channel character varying(32),
    detail_json text NOT NULL
);
CREATE SEQUENCE public.audit_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.audit_events_id_seq OWNED BY public.audit_events.id;
CREATE TABLE public.channel_pacing (
    channel character varying(32) NOT NULL,
    next_at double precision NOT NULL
);
CREATE TABLE public.outbox (
    id integer NOT NULL,
    dedupe_key character varying(255) NOT NULL,
    method character varying(32) NOT NULL,
    channel character varying(32) NOT NULL,
    thread_ts character varying(32),
    ts character varying(32),
    text text NOT NULL,
    blocks_json text,
    reply_broadcast boolean NOT NULL,
    state character varying(16) NOT NULL,
    attempts integer NOT NULL,
    uncertain boolean NOT NULL,
    next_attempt_at double precision NOT NULL,
    created_at double precision NOT NULL,
    lease_owner character varying(64),
    lease_until double precision,
    sent_ts character varying(32),
    last_error text
);
CREATE SEQUENCE public.outbox_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.outbox_id_seq OWNED BY public.outbox.id;
CREATE TABLE public.pending_operations (
    id character varying(32) NOT NULL,
    kind character varying(32) NOT NULL,
    intent_json text NOT NULL,
    summary text NOT NULL,
    request_key character varying(255),
    requester character varying(32) NOT NULL,
    channel character varying(32) NOT NULL,
    message_ts character varying(32),
    created_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    state character varying(16) NOT NULL,
    decided_by character varying(32),
    decided_at double precision,
    exec_state character varying(16),
    exec_owner character varying(64),
    exec_until double precision
);
CREATE TABLE public.schema_version (
    id integer NOT NULL,
    version integer NOT NULL
);
CREATE SEQUENCE public.schema_version_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.schema_version_id_seq OWNED BY public.schema_version.id;
CREATE TABLE public.tracked_jobs (
    job_id character varying(64) NOT NULL,
    op_id character varying(32),
    kind character varying(32) NOT NULL,
    subject character varying(64) NOT NULL,
    channel character varying(32) NOT NULL,
    thread_ts character varying(32),
    requester character varying(32) NOT NULL,
    confirmer character varying(32),
    detail_json text NOT NULL,
    submitted_at double precision NOT NULL,
    next_check_at double precision NOT NULL,
    checks integer NOT NULL,
    errors integer NOT NULL,
    last_status character varying(16),
    state character varying(16) NOT NULL,
    stuck_reported boolean NOT NULL,
    lease_owner character varying(64),
    lease_until double precision,
    finished_at double precision
);
ALTER TABLE ONLY public.audit_events ALTER COLUMN id SET DEFAULT nextval('public.audit_events_id_seq'::regclass);
ALTER TABLE ONLY public.outbox ALTER COLUMN id SET DEFAULT nextval('public.outbox_id_seq'::regclass);
ALTER TABLE ONLY public.schema_version ALTER COLUMN id SET DEFAULT nextval('public.schema_version_id_seq'::regclass);
ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.channel_pacing
    ADD CONSTRAINT channel_pacing_pkey PRIMARY KEY (channel);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_dedupe_key_key UNIQUE (dedupe_key);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.pending_operations
    ADD CONSTRAINT pending_operations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.pending_operations
    ADD CONSTRAINT pending_operations_request_key_key UNIQUE (request_key);
ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.tracked_jobs
    ADD CONSTRAINT tracked_jobs_pkey PRIMARY KEY (job_id);
CREATE INDEX ix_audit_events_at ON public.audit_events USING btree (at);
CREATE INDEX ix_audit_events_channel ON public.audit_events USING btree (channel);
CREATE INDEX ix_audit_events_op_id ON public.audit_events USING btree (op_id);
CREATE INDEX ix_outbox_next_attempt_at ON public.outbox USING btree (next_attempt_at);
CREATE INDEX ix_outbox_state ON public.outbox USING btree (state);
CREATE INDEX ix_pending_operations_exec_until ON public.pending_operations USING btree (exec_until);
CREATE INDEX ix_pending_operations_state ON public.pending_operations USING btree (state);
CREATE INDEX ix_tracked_jobs_next_check_at ON public.tracked_jobs USING btree (next_check_at);
CREATE INDEX ix_tracked_jobs_state ON public.tracked_jobs USING btree (state);
INSERT INTO public.schema_version (id, version) VALUES (1, 1);
