-- sdrs-bot schema version 4 on SQLite, frozen: what the pre-Alembic migrator (bot/store/schema.py at 97a6dd2) created.
-- Do not edit: tests/test_store_migrations.py upgrades a database made from this file.
CREATE TABLE schema_version (
	id INTEGER NOT NULL,
	version INTEGER NOT NULL,
	PRIMARY KEY (id)
);
CREATE TABLE pending_operations (
	id VARCHAR(32) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	intent_json TEXT NOT NULL,
	summary TEXT NOT NULL,
	request_key VARCHAR(255),
	requester VARCHAR(32) NOT NULL,
	channel VARCHAR(32) NOT NULL,
	message_ts VARCHAR(32),
	created_at FLOAT NOT NULL,
	expires_at FLOAT NOT NULL,
	state VARCHAR(16) NOT NULL,
	decided_by VARCHAR(32),
	decided_at FLOAT,
	exec_state VARCHAR(16),
	exec_owner VARCHAR(64),
	exec_until FLOAT,
	checked_json TEXT,
	facts_json TEXT,
	PRIMARY KEY (id),
	UNIQUE (request_key)
);
CREATE INDEX ix_pending_operations_exec_until ON pending_operations (exec_until);
CREATE INDEX ix_pending_operations_state ON pending_operations (state);
CREATE TABLE tracked_jobs (
	job_id VARCHAR(64) NOT NULL,
	op_id VARCHAR(32),
	kind VARCHAR(32) NOT NULL,
	subject VARCHAR(64) NOT NULL,
	channel VARCHAR(32) NOT NULL,
	thread_ts VARCHAR(32),
	requester VARCHAR(32) NOT NULL,
	confirmer VARCHAR(32),
	detail_json TEXT NOT NULL,
	submitted_at FLOAT NOT NULL,
	next_check_at FLOAT NOT NULL,
	checks INTEGER NOT NULL,
	errors INTEGER NOT NULL,
	last_status VARCHAR(16),
	state VARCHAR(16) NOT NULL,
	stuck_reported BOOLEAN NOT NULL,
	lease_owner VARCHAR(64),
	lease_until FLOAT,
	finished_at FLOAT,
	PRIMARY KEY (job_id)
);
CREATE INDEX ix_tracked_jobs_state ON tracked_jobs (state);
CREATE INDEX ix_tracked_jobs_next_check_at ON tracked_jobs (next_check_at);
CREATE TABLE outbox (
	id INTEGER NOT NULL,
	dedupe_key VARCHAR(255) NOT NULL,
	method VARCHAR(32) NOT NULL,
	channel VARCHAR(32) NOT NULL,
	thread_ts VARCHAR(32),
	ts VARCHAR(32),
	text TEXT NOT NULL,
	blocks_json TEXT,
	content_json TEXT,
	reply_broadcast BOOLEAN NOT NULL,
	state VARCHAR(16) NOT NULL,
	attempts INTEGER NOT NULL,
	uncertain BOOLEAN NOT NULL,
	next_attempt_at FLOAT NOT NULL,
	created_at FLOAT NOT NULL,
	lease_owner VARCHAR(64),
	lease_until FLOAT,
	sent_ts VARCHAR(32),
	last_error TEXT,
	PRIMARY KEY (id),
	UNIQUE (dedupe_key)
);
CREATE INDEX ix_outbox_next_attempt_at ON outbox (next_attempt_at);
CREATE INDEX ix_outbox_state ON outbox (state);
CREATE TABLE channel_pacing (
	channel VARCHAR(32) NOT NULL,
	next_at FLOAT NOT NULL,
	PRIMARY KEY (channel)
);
CREATE TABLE audit_events (
	id INTEGER NOT NULL,
	at FLOAT NOT NULL,
	action VARCHAR(32) NOT NULL,
	op_id VARCHAR(32),
	job_id VARCHAR(64),
	actor VARCHAR(32),
	channel VARCHAR(32),
	detail_json TEXT NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ix_audit_events_channel ON audit_events (channel);
CREATE INDEX ix_audit_events_at ON audit_events (at);
CREATE INDEX ix_audit_events_op_id ON audit_events (op_id);
CREATE TABLE inbox (
	id INTEGER NOT NULL,
	dedupe_key VARCHAR(255) NOT NULL,
	kind VARCHAR(16) NOT NULL,
	payload_json TEXT NOT NULL,
	received_at FLOAT NOT NULL,
	attempts INTEGER NOT NULL,
	lease_owner VARCHAR(64),
	lease_until FLOAT,
	PRIMARY KEY (id),
	UNIQUE (dedupe_key)
);
CREATE INDEX ix_inbox_lease_until ON inbox (lease_until);
INSERT INTO schema_version (id, version) VALUES (1, 4);
