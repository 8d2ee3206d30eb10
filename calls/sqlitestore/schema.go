package sqlitestore

// Migrations are the schema's steps, applied in order once each by
// internal/migrate (component "calls", shared with the CDR store's
// mechanism). Never edit a step: append one.
var Migrations = []string{
	// 1: calls (index columns and the JSON document of merged facts),
	// aliases in the same table, and the charge keys.
	`CREATE TABLE ledger_calls (
		id         TEXT PRIMARY KEY,
		alias_of   TEXT NOT NULL DEFAULT '',
		seq        INTEGER NOT NULL,
		agent_id   TEXT NOT NULL DEFAULT '',
		agent_user TEXT NOT NULL DEFAULT '',
		busy       TEXT NOT NULL DEFAULT '',
		number     TEXT NOT NULL DEFAULT '',
		start_us   INTEGER NOT NULL DEFAULT 0,
		state      TEXT NOT NULL DEFAULT '',
		contact    TEXT NOT NULL DEFAULT '',
		case_id    TEXT NOT NULL DEFAULT '',
		doc        TEXT
	);
	CREATE UNIQUE INDEX ledger_calls_seq ON ledger_calls (seq);
	CREATE INDEX ledger_calls_start ON ledger_calls (start_us, id) WHERE alias_of = '';
	CREATE INDEX ledger_calls_number ON ledger_calls (number, start_us) WHERE alias_of = '';
	CREATE INDEX ledger_calls_agent_id ON ledger_calls (agent_id, start_us) WHERE alias_of = '' AND agent_id <> '';
	CREATE INDEX ledger_calls_agent_user ON ledger_calls (agent_user, start_us) WHERE alias_of = '' AND agent_user <> '';
	CREATE INDEX ledger_calls_state ON ledger_calls (state, start_us) WHERE alias_of = '';
	CREATE INDEX ledger_calls_contact ON ledger_calls (contact, start_us) WHERE alias_of = '' AND contact <> '';
	CREATE INDEX ledger_calls_case ON ledger_calls (case_id, start_us) WHERE alias_of = '' AND case_id <> '';
	CREATE TABLE ledger_charges (
		key     TEXT PRIMARY KEY,
		call_id TEXT NOT NULL
	);`,
}
