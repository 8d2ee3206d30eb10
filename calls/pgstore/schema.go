package pgstore

// Migrations are the schema's steps, applied in order once each by
// internal/migrate (component "calls", shared with the CDR store's
// mechanism). Never edit a step: append one. Tables are
// created in the connection's search_path.
var Migrations = []string{
	// 1: calls (index columns and the JSON document of merged facts),
	// aliases in the same table, the charge keys, and the change sequence.
	`CREATE SEQUENCE ledger_calls_seq;
	CREATE TABLE ledger_calls (
		id         text PRIMARY KEY,
		alias_of   text NOT NULL DEFAULT '',
		seq        bigint NOT NULL,
		agent_id   text NOT NULL DEFAULT '',
		agent_user text NOT NULL DEFAULT '',
		busy       text NOT NULL DEFAULT '',
		number     text NOT NULL DEFAULT '',
		start_at   timestamptz NOT NULL,
		state      text NOT NULL DEFAULT '',
		contact    text NOT NULL DEFAULT '',
		case_id    text NOT NULL DEFAULT '',
		doc        json
	);
	CREATE INDEX ledger_calls_seq_idx ON ledger_calls (seq);
	CREATE INDEX ledger_calls_start ON ledger_calls (start_at, id) WHERE alias_of = '';
	CREATE INDEX ledger_calls_number ON ledger_calls (number, start_at) WHERE alias_of = '';
	CREATE INDEX ledger_calls_agent_id ON ledger_calls (agent_id, start_at) WHERE alias_of = '' AND agent_id <> '';
	CREATE INDEX ledger_calls_agent_user ON ledger_calls (agent_user, start_at) WHERE alias_of = '' AND agent_user <> '';
	CREATE INDEX ledger_calls_state ON ledger_calls (state, start_at) WHERE alias_of = '';
	CREATE INDEX ledger_calls_contact ON ledger_calls (contact, start_at) WHERE alias_of = '' AND contact <> '';
	CREATE INDEX ledger_calls_case ON ledger_calls (case_id, start_at) WHERE alias_of = '' AND case_id <> '';
	CREATE TABLE ledger_charges (
		key     text PRIMARY KEY,
		call_id text NOT NULL
	);`,
}
