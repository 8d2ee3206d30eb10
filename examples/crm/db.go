package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/screenpop"
)

// DB is the CRM's own tables, beside the SDK's CDR tables, in one
// database (SQLite or PostgreSQL, same migrations).
type DB struct {
	*sql.DB
	dialect sqlstore.Dialect
	region  string
	loc     *time.Location
}

var crmMigrations = []string{
	`CREATE TABLE IF NOT EXISTS crm_agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS crm_endpoints (
		id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, username TEXT NOT NULL,
		password TEXT NOT NULL DEFAULT '', private INTEGER NOT NULL DEFAULT 0, is_primary INTEGER NOT NULL DEFAULT 0,
		valid_from BIGINT NOT NULL, valid_to BIGINT NOT NULL DEFAULT 0)`,
	`CREATE INDEX IF NOT EXISTS crm_endpoints_ep ON crm_endpoints (endpoint_id, valid_from)`,
	`CREATE TABLE IF NOT EXISTS crm_customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, document TEXT NOT NULL DEFAULT '')`,
	`CREATE TABLE IF NOT EXISTS crm_contacts (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, name TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS crm_contact_numbers (contact_id TEXT NOT NULL, raw TEXT NOT NULL, e164 TEXT NOT NULL, PRIMARY KEY (contact_id, e164))`,
	`CREATE INDEX IF NOT EXISTS crm_contact_numbers_e164 ON crm_contact_numbers (e164)`,
	// The customers page reads 50 customers at a time in (name, id) order
	// (CustomersPage), then their contacts by customer.
	`CREATE INDEX IF NOT EXISTS crm_customers_name ON crm_customers (name, id)`,
	`CREATE INDEX IF NOT EXISTS crm_contacts_customer ON crm_contacts (customer_id)`,
	// Documents are compared without case, spaces, dots and hyphens (docKey).
	`CREATE INDEX IF NOT EXISTS crm_customers_doc ON crm_customers (` + docKeySQL + `)`,
	`CREATE TABLE IF NOT EXISTS crm_result_codes (code TEXT PRIMARY KEY, label_es TEXT NOT NULL, label_en TEXT NOT NULL, sort INTEGER NOT NULL)`,
	// Users sign in with a bcrypt-hashed password; sessions issued before
	// sessions_from (Unix ms) are refused.
	`CREATE TABLE IF NOT EXISTS crm_users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
		role TEXT NOT NULL, agent_id TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0,
		sessions_from BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL)`,
	// A customer's contact policy settings (issue 18): do-not-call, its
	// own zone, its own limits (-1: the account's).
	`CREATE TABLE IF NOT EXISTS crm_customer_policy (customer_id TEXT PRIMARY KEY, do_not_call INTEGER NOT NULL DEFAULT 0,
		zone TEXT NOT NULL DEFAULT '', max_attempts INTEGER NOT NULL DEFAULT -1, window_days INTEGER NOT NULL DEFAULT -1,
		cooldown_hours INTEGER NOT NULL DEFAULT -1, updated_by TEXT NOT NULL DEFAULT '', updated_at BIGINT NOT NULL DEFAULT 0)`,
	// The collection campaign (portfolio) a customer's case belongs to
	// (issue 18's cost per campaign): a customer has at most one.
	`CREATE TABLE IF NOT EXISTS crm_customer_campaign (customer_id TEXT PRIMARY KEY, campaign TEXT NOT NULL,
		updated_by TEXT NOT NULL DEFAULT '', updated_at BIGINT NOT NULL DEFAULT 0)`,
}

func (db *DB) migrate(ctx context.Context) error {
	for i, m := range crmMigrations {
		if _, err := db.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("crm migration %d: %w", i+1, err)
		}
	}
	if err := db.migrateSearch(ctx); err != nil {
		return err
	}
	for i, rc := range [][3]string{
		{"PAGO", "Promesa de pago", "Promise to pay"}, {"CONTACTO", "Contactado", "Contacted"},
		{"NOCONTESTA", "No contesta", "No answer"}, {"EQUIVOCADO", "Número equivocado", "Wrong number"},
		{"RELLAMAR", "Volver a llamar", "Call back"},
	} {
		if _, err := db.ExecContext(ctx, db.q(`INSERT INTO crm_result_codes (code, label_es, label_en, sort) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING`), rc[0], rc[1], rc[2], i); err != nil {
			return err
		}
	}
	return nil
}

// q rebinds ? placeholders for the database's dialect.
func (db *DB) q(s string) string { return db.dialect.Rebind(s) }

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (it crashes the program instead)
	return hex.EncodeToString(b)
}

// Agent and endpoint mapping (see docs/provider.md, Accounts and
// endpoints).

// Errors of the agents store and of dispositions; each has a translation
// (errorKeys).
var (
	errUnknownResultCode = errors.New("unknown result code")
)

type Endpoint struct {
	ID, AgentID, EndpointID, Username, Password string
	Private, Primary                            bool
	ValidFrom, ValidTo                          time.Time
}

type AgentRow struct {
	ID, Name  string
	Endpoints []Endpoint // current ones
	History   []Endpoint // closed ones
}

func (db *DB) AddAgent(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errAgentName
	}
	id := newID()
	_, err := db.ExecContext(ctx, db.q(`INSERT INTO crm_agents (id, name, created_at) VALUES (?, ?, ?)`), id, name, time.Now().Unix())
	return id, err
}

// AssignEndpoint maps an endpoint to an agent from now on, closing any
// current mapping of that endpoint (the history is kept).
func (db *DB) AssignEndpoint(ctx context.Context, e Endpoint) error {
	if e.AgentID == "" || strings.TrimSpace(e.EndpointID) == "" || strings.Trim(e.Username, "0123456789") != "" || e.Username == "" {
		return errMappingFields
	}
	now := time.Now()
	if !e.ValidFrom.IsZero() {
		now = e.ValidFrom
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE crm_endpoints SET valid_to = ? WHERE endpoint_id = ? AND valid_to = 0`), now.Unix(), e.EndpointID); err != nil {
			return err
		}
		if e.Primary {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE crm_endpoints SET is_primary = 0 WHERE agent_id = ? AND valid_to = 0`), e.AgentID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO crm_endpoints (id, agent_id, endpoint_id, username, password, private, is_primary, valid_from, valid_to)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`), newID(), e.AgentID, strings.TrimSpace(e.EndpointID), e.Username, e.Password, b2i(e.Private), b2i(e.Primary), now.Unix())
		return err
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (db *DB) Agents(ctx context.Context) ([]AgentRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, name FROM crm_agents ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var out []AgentRow
	idx := map[string]int{}
	for rows.Next() {
		var a AgentRow
		if err := rows.Scan(&a.ID, &a.Name); err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		idx[a.ID] = len(out)
		out = append(out, a)
	}
	// Closed before the next query, so it does not hold a second connection.
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	eps, err := db.endpoints(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, e := range eps {
		if i, ok := idx[e.AgentID]; ok {
			if e.ValidTo.IsZero() {
				out[i].Endpoints = append(out[i].Endpoints, e)
			} else {
				out[i].History = append(out[i].History, e)
			}
		}
	}
	return out, nil
}

func (db *DB) endpoints(ctx context.Context, agentID string) ([]Endpoint, error) {
	q := `SELECT id, agent_id, endpoint_id, username, password, private, is_primary, valid_from, valid_to FROM crm_endpoints`
	var args []any
	if agentID != "" {
		q += ` WHERE agent_id = ? AND valid_to = 0`
		args = append(args, agentID)
	}
	rows, err := db.QueryContext(ctx, db.q(q+` ORDER BY is_primary DESC, valid_from`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Endpoint
	for rows.Next() {
		var e Endpoint
		var priv, prim int
		var from, to int64
		if err := rows.Scan(&e.ID, &e.AgentID, &e.EndpointID, &e.Username, &e.Password, &priv, &prim, &from, &to); err != nil {
			return nil, err
		}
		e.Private, e.Primary, e.ValidFrom = priv == 1, prim == 1, time.Unix(from, 0).In(db.loc)
		if to != 0 {
			e.ValidTo = time.Unix(to, 0).In(db.loc)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AgentFor implements screenpop.Directory over crm_endpoints: who had the
// phone (by endpoint id or username) at that time, and the phone's two
// names.
func (db *DB) AgentFor(ctx context.Context, ep callmyway.Endpoint, at time.Time) (screenpop.Agent, bool, error) {
	var a screenpop.Agent
	err := db.QueryRowContext(ctx, db.q(`SELECT a.id, a.name, e.endpoint_id, e.username FROM crm_endpoints e JOIN crm_agents a ON a.id = e.agent_id
		WHERE (e.endpoint_id = ? OR e.username = ?) AND e.valid_from <= ? AND (e.valid_to = 0 OR e.valid_to > ?)
		ORDER BY e.valid_from DESC LIMIT 1`), ep.ID, ep.User, at.Unix(), at.Unix()).Scan(&a.ID, &a.Name, &a.Endpoint.ID, &a.Endpoint.User)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	return a, true, nil
}

// Phone implements calls.PhoneBook over crm_endpoints: a phone's endpoint
// id and username, from either.
func (db *DB) Phone(ctx context.Context, ep callmyway.Endpoint) (callmyway.Endpoint, bool, error) {
	var p callmyway.Endpoint
	err := db.QueryRowContext(ctx, db.q(`SELECT endpoint_id, username FROM crm_endpoints WHERE endpoint_id = ? OR username = ?
		ORDER BY valid_from DESC LIMIT 1`), ep.ID, ep.User).Scan(&p.ID, &p.User)
	if errors.Is(err, sql.ErrNoRows) {
		return ep, false, nil
	}
	if err != nil {
		return ep, false, err
	}
	return p, true, nil
}

// Customers and contacts.

// ContactRow is a customer's contact: its numbers as written, and with
// their E.164 form in Phones. A plain value (slices shared by copies);
// the zero value is an empty contact.
type ContactRow struct {
	ID, CustomerID, Name string
	Numbers              []string
	Phones               []ContactNumber
}

// ContactNumber is one of a contact's numbers: as written, and E.164. A
// plain value, safe to copy and share.
type ContactNumber struct{ Raw, E164 string }

// CustomerRow is a customer with its contacts. A plain value (slices
// shared by copies); the zero value is an empty customer.
type CustomerRow struct {
	ID, Name, Document string
	Campaign           string // the collection campaign of its case ("" none)
	Contacts           []ContactRow
	Balance            decimal.Decimal
}

// Customers lists every customer with its contacts and numbers. It is
// not bounded: pages use CustomersPage; this is for tests and small sets.
func (db *DB) Customers(ctx context.Context) ([]CustomerRow, error) {
	return db.customers(ctx, "", nil)
}

// customers lists the customers (where, a condition on cu, selects
// some), each with its contacts and their numbers, in one query.
func (db *DB) customers(ctx context.Context, where string, args []any) ([]CustomerRow, error) {
	q := `SELECT cu.id, cu.name, cu.document, COALESCE(cc.campaign, ''), COALESCE(co.id, ''), COALESCE(co.name, ''), COALESCE(n.raw, ''), COALESCE(n.e164, '')
		FROM crm_customers cu LEFT JOIN crm_customer_campaign cc ON cc.customer_id = cu.id
		LEFT JOIN crm_contacts co ON co.customer_id = cu.id LEFT JOIN crm_contact_numbers n ON n.contact_id = co.id`
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := db.QueryContext(ctx, db.q(q+` ORDER BY cu.name, cu.id, co.name, co.id, n.raw`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CustomerRow
	for rows.Next() {
		var cid, cname, doc, campaign, coid, coname, num, e164 string
		if err := rows.Scan(&cid, &cname, &doc, &campaign, &coid, &coname, &num, &e164); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != cid {
			out = append(out, CustomerRow{ID: cid, Name: cname, Document: doc, Campaign: campaign})
		}
		cu := &out[len(out)-1]
		if coid == "" {
			continue
		}
		if len(cu.Contacts) == 0 || cu.Contacts[len(cu.Contacts)-1].ID != coid {
			cu.Contacts = append(cu.Contacts, ContactRow{ID: coid, CustomerID: cid, Name: coname})
		}
		if num != "" {
			co := &cu.Contacts[len(cu.Contacts)-1]
			co.Numbers = append(co.Numbers, num)
			co.Phones = append(co.Phones, ContactNumber{Raw: num, E164: e164})
		}
	}
	return out, rows.Err()
}

const contactSelect = `SELECT co.id, co.name, cu.id, cu.name FROM crm_contacts co JOIN crm_customers cu ON cu.id = co.customer_id`

func (db *DB) scanContacts(ctx context.Context, q string, args ...any) ([]screenpop.Contact, error) {
	rows, err := db.QueryContext(ctx, db.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []screenpop.Contact
	for rows.Next() {
		var c screenpop.Contact
		if err := rows.Scan(&c.ID, &c.Name, &c.CustomerID, &c.CustomerName); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, db.addNumbers(ctx, out)
}

// addNumbers fills the Numbers of contacts, in one query per chunk of
// contacts (never one per contact).
func (db *DB) addNumbers(ctx context.Context, contacts []screenpop.Contact) error {
	at := map[string]int{}
	ids := make([]string, 0, len(contacts))
	for i, c := range contacts {
		at[c.ID] = i
		ids = append(ids, c.ID)
	}
	return inChunks(ids, func(chunk []string) error {
		rows, err := db.QueryContext(ctx, db.q(`SELECT contact_id, raw FROM crm_contact_numbers WHERE contact_id IN (`+params(len(chunk))+`) ORDER BY raw`), anys(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, raw string
			if err := rows.Scan(&id, &raw); err != nil {
				return err
			}
			contacts[at[id]].Numbers = append(contacts[at[id]].Numbers, raw)
		}
		return rows.Err()
	})
}

// ContactsByID returns the contacts with these ids, by id.
func (db *DB) ContactsByID(ctx context.Context, ids []string) (map[string]screenpop.Contact, error) {
	out := map[string]screenpop.Contact{}
	err := inChunks(ids, func(chunk []string) error {
		cs, err := db.scanContacts(ctx, contactSelect+` WHERE co.id IN (`+params(len(chunk))+`)`, anys(chunk)...)
		for _, c := range cs {
			out[c.ID] = c
		}
		return err
	})
	return out, err
}

// ContactsByNumber returns, for each of these E.164 numbers, the contacts
// that have it.
func (db *DB) ContactsByNumber(ctx context.Context, e164s []string) (map[string][]screenpop.Contact, error) {
	out := map[string][]screenpop.Contact{}
	err := inChunks(e164s, func(chunk []string) error {
		rows, err := db.QueryContext(ctx, db.q(`SELECT n.e164, co.id FROM crm_contact_numbers n JOIN crm_contacts co ON co.id = n.contact_id
			WHERE n.e164 IN (`+params(len(chunk))+`) ORDER BY co.name`), anys(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		owner := map[string][]string{}
		var ids []string
		for rows.Next() {
			var e164, id string
			if err := rows.Scan(&e164, &id); err != nil {
				return err
			}
			owner[e164] = append(owner[e164], id)
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		byID, err := db.ContactsByID(ctx, ids)
		for e164, cids := range owner {
			for _, id := range cids {
				out[e164] = append(out[e164], byID[id])
			}
		}
		return err
	})
	return out, err
}

// inChunks calls f with list in chunks small enough for any SQL driver's
// parameter limit.
func inChunks(list []string, f func([]string) error) error {
	const chunk = 500
	for len(list) > 0 {
		n := min(len(list), chunk)
		if err := f(list[:n]); err != nil {
			return err
		}
		list = list[n:]
	}
	return nil
}

// params is n comma-separated placeholders.
func params(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// FindByNumber implements screenpop.Contacts.
func (db *DB) FindByNumber(ctx context.Context, e164 string) ([]screenpop.Contact, error) {
	return db.scanContacts(ctx, contactSelect+` WHERE co.id IN (SELECT contact_id FROM crm_contact_numbers WHERE e164 = ?) ORDER BY co.name`, e164)
}

// likeEscaper makes a text literal inside a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// Search implements screenpop.Contacts: the contacts whose name, customer
// name, customer document or number contains query, ignoring accents and
// case ("solis" finds "Solís", see fold); % and _ are literal.
func (db *DB) Search(ctx context.Context, query string, limit int) ([]screenpop.Contact, error) {
	query = fold(strings.TrimSpace(query))
	if query == "" {
		return nil, nil
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	// % and _ in the query are literal: escaped, with ESCAPE '\'. A name
	// not folded yet (written by an older program) is compared in lower case.
	like := "%" + likeEscaper.Replace(query) + "%"
	return db.scanContacts(ctx, contactSelect+` WHERE COALESCE(co.name_fold, LOWER(co.name)) LIKE ? ESCAPE '\'
		OR COALESCE(cu.name_fold, LOWER(cu.name)) LIKE ? ESCAPE '\' OR LOWER(cu.document) LIKE ? ESCAPE '\'
		OR co.id IN (SELECT contact_id FROM crm_contact_numbers WHERE raw LIKE ? ESCAPE '\' OR e164 LIKE ? ESCAPE '\') ORDER BY co.name LIMIT ?`, like, like, like, like, like, limit)
}

func (db *DB) Contact(ctx context.Context, id string) (screenpop.Contact, bool, error) {
	cs, err := db.scanContacts(ctx, contactSelect+` WHERE co.id = ?`, id)
	if err != nil || len(cs) == 0 {
		return screenpop.Contact{}, false, err
	}
	return cs[0], true, nil
}

// Disposition is what the agent saves on a call. The ledger keeps it,
// with its charge (see App.SaveDisposition).
type Disposition struct {
	CallID, ContactID, ResultCode, Notes, NextAction, By string
	NextActionAt                                         time.Time
	Charge                                               decimal.Decimal
}

// CheckResultCode reports an unknown result code.
func (db *DB) CheckResultCode(ctx context.Context, code string) error {
	var known int
	if err := db.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM crm_result_codes WHERE code = ?`), code).Scan(&known); err != nil {
		return err
	}
	if known == 0 {
		return fmt.Errorf("%w %q", errUnknownResultCode, code)
	}
	return nil
}

type ResultCode struct{ Code, ES, EN string }

func (db *DB) ResultCodes(ctx context.Context) ([]ResultCode, error) {
	rows, err := db.QueryContext(ctx, `SELECT code, label_es, label_en FROM crm_result_codes ORDER BY sort`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ResultCode
	for rows.Next() {
		var r ResultCode
		if err := rows.Scan(&r.Code, &r.ES, &r.EN); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CallsFilter selects the history.
type CallsFilter struct {
	From, To   time.Time
	AgentID    string
	CustomerID string
	Page       int  // 1-based
	Reversed   bool // the dates were given the wrong way round and swapped
}

// CustomersPage is one page of customers in (name, id) order, with the
// keyset cursors of the pages around it.
type CustomersPage struct {
	Customers []CustomerRow
	Prev      string // the id of this page's first customer: the previous page ends before it
	Next      string // the id of this page's last customer: the next page starts after it
	HasPrev   bool
	HasNext   bool
}

// CustomersPage reads one page of at most n customers in (name, id)
// order: after the customer with id after (exclusive), or before the
// customer with id before (exclusive), or from the start. A cursor that
// names no customer (deleted since) reads from the start. One query for
// the customers, then one per chunk of 500 for their contacts and one for
// their numbers: never one per customer.
func (db *DB) CustomersPage(ctx context.Context, after, before string, n int) (CustomersPage, error) {
	var p CustomersPage
	if n < 1 {
		n = 1
	}
	key, dir := after, ">"
	if key == "" && before != "" {
		key, dir = before, "<"
	}
	var cursorName string
	if key != "" {
		err := db.QueryRowContext(ctx, db.q(`SELECT name FROM crm_customers WHERE id = ?`), key).Scan(&cursorName)
		if errors.Is(err, sql.ErrNoRows) {
			key = ""
		} else if err != nil {
			return p, err
		}
	}
	const sel = `SELECT cu.id, cu.name, cu.document, COALESCE(cc.campaign, '') FROM crm_customers cu
		LEFT JOIN crm_customer_campaign cc ON cc.customer_id = cu.id`
	read := func(q string, args ...any) ([]CustomerRow, error) {
		rows, err := db.QueryContext(ctx, db.q(q), args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []CustomerRow
		for rows.Next() {
			var c CustomerRow
			if err := rows.Scan(&c.ID, &c.Name, &c.Document, &c.Campaign); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	var cs []CustomerRow
	var err error
	switch {
	case key == "":
		cs, err = read(sel+` ORDER BY cu.name, cu.id LIMIT ?`, n+1)
		p.HasNext = len(cs) > n
		cs = cs[:min(len(cs), n)]
	case dir == ">":
		cs, err = read(sel+` WHERE cu.name > ? OR (cu.name = ? AND cu.id > ?) ORDER BY cu.name, cu.id LIMIT ?`, cursorName, cursorName, key, n+1)
		p.HasPrev, p.HasNext = true, len(cs) > n
		cs = cs[:min(len(cs), n)]
	default: // backwards, then in order
		cs, err = read(sel+` WHERE cu.name < ? OR (cu.name = ? AND cu.id < ?) ORDER BY cu.name DESC, cu.id DESC LIMIT ?`, cursorName, cursorName, key, n+1)
		if err == nil && len(cs) <= n { // reached the start: show the first page, full
			return db.CustomersPage(ctx, "", "", n)
		}
		p.HasPrev, p.HasNext = true, true
		cs = cs[:n]
		slices.Reverse(cs)
	}
	if err != nil {
		return p, err
	}
	if len(cs) > 0 {
		p.Prev, p.Next = cs[0].ID, cs[len(cs)-1].ID
	}
	p.Customers = cs
	return p, db.addContacts(ctx, cs)
}

// addContacts fills the Contacts of customers, with their numbers, in one
// query per chunk of customers and one per chunk of contacts.
func (db *DB) addContacts(ctx context.Context, cs []CustomerRow) error {
	at := make(map[string]int, len(cs))
	ids := make([]string, 0, len(cs))
	for i, c := range cs {
		at[c.ID] = i
		ids = append(ids, c.ID)
	}
	type ref struct{ cu, co int }
	contacts := map[string]ref{}
	var contactIDs []string
	err := inChunks(ids, func(chunk []string) error {
		rows, err := db.QueryContext(ctx, db.q(`SELECT id, customer_id, name FROM crm_contacts WHERE customer_id IN (`+params(len(chunk))+`) ORDER BY name, id`), anys(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var co ContactRow
			if err := rows.Scan(&co.ID, &co.CustomerID, &co.Name); err != nil {
				return err
			}
			i := at[co.CustomerID]
			contacts[co.ID] = ref{i, len(cs[i].Contacts)}
			contactIDs = append(contactIDs, co.ID)
			cs[i].Contacts = append(cs[i].Contacts, co)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	return inChunks(contactIDs, func(chunk []string) error {
		rows, err := db.QueryContext(ctx, db.q(`SELECT contact_id, raw, e164 FROM crm_contact_numbers WHERE contact_id IN (`+params(len(chunk))+`) ORDER BY raw`), anys(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, raw, e164 string
			if err := rows.Scan(&id, &raw, &e164); err != nil {
				return err
			}
			r := contacts[id]
			co := &cs[r.cu].Contacts[r.co]
			co.Numbers = append(co.Numbers, raw)
			co.Phones = append(co.Phones, ContactNumber{Raw: raw, E164: e164})
		}
		return rows.Err()
	})
}
