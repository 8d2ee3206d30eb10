package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/number"
)

// The customer store: customers, their contacts and the contacts'
// numbers. Every change validates its input and returns errors the pages
// translate (customerErrorKeys): a name is required, a number must parse
// in the account's region (letters are refused), a document belongs to
// one customer, and a number already on another contact is a
// *DuplicateError unless the caller confirmed it is shared on purpose.

// Errors of the customer store; each has a translation (customerErrorKeys).
var (
	errCustomerNameRequired = errors.New("customer name required")
	errContactNameRequired  = errors.New("contact name required")
	errNumberRequired       = errors.New("number required")
	errUnknownCustomer      = errors.New("unknown customer")
	errUnknownContact       = errors.New("unknown contact")
	errUnknownNumber        = errors.New("the contact has no such number")
	// errDuplicate is what every *DuplicateError matches.
	errDuplicate = errors.New("already used by another customer or contact")
)

// DuplicateError reports a document already used by another customer, or
// a number already on another contact. It names the other customer (and
// contact, for a number) so the page can say whose it is. It matches
// errDuplicate. The zero value names nothing; it is a plain value, safe
// to copy and to read from several goroutines.
type DuplicateError struct {
	Field        string // "document" or "number"
	Value        string // the document, or the number in E.164
	CustomerID   string // the other customer
	CustomerName string
	ContactID    string // number only: the other contact
	ContactName  string
}

func (e *DuplicateError) Error() string {
	if e.Field == "number" {
		return fmt.Sprintf("number %s is already %s's (%s)", e.Value, e.ContactName, e.CustomerName)
	}
	return fmt.Sprintf("document %s is already %s's", e.Value, e.CustomerName)
}

// Is reports whether target is errDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == errDuplicate }

// querier is what the store's helpers need: the database or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs f in a transaction, committed when f returns nil.
func (db *DB) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return tx.Commit()
}

// docKeySQL is the form documents are compared in: upper case, without
// spaces, dots and hyphens ("3-101-123456" is "3101123456").
const docKeySQL = `REPLACE(REPLACE(REPLACE(UPPER(document), '-', ''), ' ', ''), '.', '')`

func docKey(doc string) string {
	return strings.NewReplacer("-", "", " ", "", ".", "").Replace(strings.ToUpper(doc))
}

// checkDocument refuses a document another customer (not exceptID) has.
func (db *DB) checkDocument(ctx context.Context, q querier, doc, exceptID string) error {
	if docKey(doc) == "" {
		return nil
	}
	var id, name string
	err := q.QueryRowContext(ctx, db.q(`SELECT id, name FROM crm_customers WHERE `+docKeySQL+` = ? AND id <> ? ORDER BY name LIMIT 1`),
		docKey(doc), exceptID).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &DuplicateError{Field: "document", Value: doc, CustomerID: id, CustomerName: name}
}

// parseNumber reads a contact's number in the account's region.
func (db *DB) parseNumber(raw string) (number.Number, error) {
	if strings.TrimSpace(raw) == "" {
		return number.Number{}, errNumberRequired
	}
	n, err := number.Parse(raw, db.region)
	if err != nil {
		return n, err
	}
	if n.Withheld {
		return n, errNumberRequired
	}
	return n, nil
}

// addNumber saves a parsed number on a contact. Unless shared is set, a
// number another contact has is a *DuplicateError naming it.
func (db *DB) addNumber(ctx context.Context, q querier, contactID string, n number.Number, shared bool) error {
	if !shared {
		var coID, coName, cuID, cuName string
		err := q.QueryRowContext(ctx, db.q(`SELECT co.id, co.name, cu.id, cu.name FROM crm_contact_numbers n
			JOIN crm_contacts co ON co.id = n.contact_id JOIN crm_customers cu ON cu.id = co.customer_id
			WHERE n.e164 = ? AND n.contact_id <> ? ORDER BY cu.name, co.name LIMIT 1`), n.E164, contactID).Scan(&coID, &coName, &cuID, &cuName)
		switch {
		case err == nil:
			return &DuplicateError{Field: "number", Value: n.E164, CustomerID: cuID, CustomerName: cuName, ContactID: coID, ContactName: coName}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	_, err := q.ExecContext(ctx, db.q(`INSERT INTO crm_contact_numbers (contact_id, raw, e164) VALUES (?, ?, ?) ON CONFLICT (contact_id, e164) DO NOTHING`),
		contactID, n.Raw, n.E164)
	return err
}

// NewCustomer is a customer created with its first contact and number
// (CreateCustomer). A plain value, safe to copy; the zero value is
// refused (a name is required).
type NewCustomer struct {
	Name, Document string
	Contact        string // "": no contact yet (then Number must be empty)
	Number         string // as written; "": none
	// Shared confirms that Number may already be another contact's (a
	// family phone): without it, that is a *DuplicateError.
	Shared bool
}

// CreateCustomer creates the customer, its contact and the contact's
// number in one transaction: on any error nothing is saved.
func (db *DB) CreateCustomer(ctx context.Context, nc NewCustomer) (customerID, contactID string, err error) {
	name, doc, contact := strings.TrimSpace(nc.Name), strings.TrimSpace(nc.Document), strings.TrimSpace(nc.Contact)
	if name == "" {
		return "", "", errCustomerNameRequired
	}
	if contact == "" && strings.TrimSpace(nc.Number) != "" {
		return "", "", errContactNameRequired
	}
	var n number.Number
	if strings.TrimSpace(nc.Number) != "" {
		if n, err = db.parseNumber(nc.Number); err != nil {
			return "", "", err
		}
	}
	customerID = newID()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkDocument(ctx, tx, doc, ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO crm_customers (id, name, document, name_fold) VALUES (?, ?, ?, ?)`), customerID, name, doc, fold(name)); err != nil {
			return err
		}
		if contact == "" {
			return nil
		}
		contactID = newID()
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO crm_contacts (id, customer_id, name, name_fold) VALUES (?, ?, ?, ?)`), contactID, customerID, contact, fold(contact)); err != nil {
			return err
		}
		if n.E164 == "" {
			return nil
		}
		return db.addNumber(ctx, tx, contactID, n, nc.Shared)
	})
	if err != nil {
		return "", "", err
	}
	return customerID, contactID, nil
}

// AddCustomer creates a customer without contacts.
func (db *DB) AddCustomer(ctx context.Context, name, doc string) (string, error) {
	id, _, err := db.CreateCustomer(ctx, NewCustomer{Name: name, Document: doc})
	return id, err
}

// UpdateCustomer renames a customer and changes its document (another
// customer's document is a *DuplicateError).
func (db *DB) UpdateCustomer(ctx context.Context, id, name, doc string) error {
	name, doc = strings.TrimSpace(name), strings.TrimSpace(doc)
	if name == "" {
		return errCustomerNameRequired
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkDocument(ctx, tx, doc, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE crm_customers SET name = ?, name_fold = ?, document = ? WHERE id = ?`), name, fold(name), doc, id)
		return affected(res, err, errUnknownCustomer)
	})
}

// affected turns an update that changed no row into notFound.
func affected(res sql.Result, err, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// AddContact adds a contact to a customer with its numbers, in one
// transaction. Numbers other contacts have are allowed (shared on
// purpose: the demo's family phone).
func (db *DB) AddContact(ctx context.Context, customerID, name string, numbers ...string) (string, error) {
	return db.NewContact(ctx, customerID, name, true, numbers...)
}

// NewContact adds a contact to a customer with its numbers, in one
// transaction. Unless shared is set, a number another contact has is a
// *DuplicateError and nothing is saved.
func (db *DB) NewContact(ctx context.Context, customerID, name string, shared bool, numbers ...string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errContactNameRequired
	}
	parsed := make([]number.Number, 0, len(numbers))
	for _, raw := range numbers {
		n, err := db.parseNumber(raw)
		if err != nil {
			return "", err
		}
		parsed = append(parsed, n)
	}
	id := newID()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM crm_customers WHERE id = ?`), customerID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return errUnknownCustomer
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO crm_contacts (id, customer_id, name, name_fold) VALUES (?, ?, ?, ?)`), id, customerID, name, fold(name)); err != nil {
			return err
		}
		for _, p := range parsed {
			if err := db.addNumber(ctx, tx, id, p, shared); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// RenameContact renames a contact of the customer.
func (db *DB) RenameContact(ctx context.Context, customerID, contactID, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return errContactNameRequired
	}
	res, err := db.ExecContext(ctx, db.q(`UPDATE crm_contacts SET name = ?, name_fold = ? WHERE id = ? AND customer_id = ?`), name, fold(name), contactID, customerID)
	return affected(res, err, errUnknownContact)
}

// AddNumber saves a number on a contact of the customer (customerID ""
// for any customer). A number another contact has is a *DuplicateError
// unless shared confirms it is shared on purpose.
func (db *DB) AddNumber(ctx context.Context, customerID, contactID, raw string, shared bool) error {
	n, err := db.parseNumber(raw)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var owner string
		err := tx.QueryRowContext(ctx, db.q(`SELECT customer_id FROM crm_contacts WHERE id = ?`), contactID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && customerID != "" && owner != customerID) {
			return errUnknownContact
		}
		if err != nil {
			return err
		}
		return db.addNumber(ctx, tx, contactID, n, shared)
	})
}

// RemoveNumber removes a number (E.164) from a contact of the customer.
func (db *DB) RemoveNumber(ctx context.Context, customerID, contactID, e164 string) error {
	res, err := db.ExecContext(ctx, db.q(`DELETE FROM crm_contact_numbers WHERE contact_id = ? AND e164 = ?
		AND contact_id IN (SELECT id FROM crm_contacts WHERE customer_id = ?)`), contactID, e164, customerID)
	return affected(res, err, errUnknownNumber)
}

// Customer returns one customer with its contacts and their numbers.
func (db *DB) Customer(ctx context.Context, id string) (CustomerRow, bool, error) {
	cs, err := db.customers(ctx, "cu.id = ?", []any{id})
	if err != nil || len(cs) == 0 {
		return CustomerRow{}, false, err
	}
	return cs[0], true, nil
}

// CustomerNames returns the names of the customers with these ids, by
// id (an unknown id is absent), in one query per chunk of ids.
func (db *DB) CustomerNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := inChunks(ids, func(chunk []string) error {
		rows, err := db.QueryContext(ctx, db.q(`SELECT id, name FROM crm_customers WHERE id IN (`+params(len(chunk))+`)`), anys(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = name
		}
		return rows.Err()
	})
	return out, err
}

// customerErrorKeys translate the customer store's errors (and the
// number parser's) for the pages and the console's JSON answers.
var customerErrorKeys = []struct {
	err error
	key string
}{
	{errCustomerNameRequired, "err_customer_name_required"},
	{errContactNameRequired, "err_contact_name_required"},
	{errNumberRequired, "err_number_required"},
	{errUnknownCustomer, "err_unknown_customer"},
	{errUnknownContact, "err_unknown_contact"},
	{errUnknownNumber, "err_unknown_number"},
	{callmyway.ErrInvalidNumber, "err_invalid_number"},
	{errBadCampaign, "err_bad_campaign"},
}
