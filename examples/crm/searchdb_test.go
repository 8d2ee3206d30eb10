package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/cdr/sqlstore/postgres"
	"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Solís":            "solis",
		"SOLÍS":            "solis",
		"solis":            "solis",
		"Núñez":            "nunez",
		"José Ñandú":       "jose nandu",
		"Ça va, GRÜßE":     "ca va, gruße",
		"Solı́s":           "solıs", // a combining acute written apart goes too
		"50%_x":            "50%_x",
		"":                 "",
		"Transportes Vega": "transportes vega",
	} {
		assert.Equal(t, want, fold(in), in)
	}
}

// openCRMDB opens the CRM's database at dsn (a file for SQLite, else
// PostgreSQL), closed when the test ends, without migrating it.
func openCRMDB(t *testing.T, dsn string) *DB {
	t.Helper()
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	var st *sqlstore.Store
	var err error
	if strings.HasPrefix(dsn, "postgres://") {
		st, err = postgres.Open(context.Background(), dsn, acct)
	} else {
		st, err = sqlite.Open(context.Background(), dsn, acct)
	}
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return &DB{DB: st.DB(), dialect: st.Dialect(), region: "CR", loc: time.UTC}
}

// testSearchFolds checks the accent- and case-insensitive search on a
// database written by a program from before the folded names: its rows
// are backfilled by the migration, new ones folded on write.
func testSearchFolds(t *testing.T, dsn string) {
	ctx := context.Background()
	db := openCRMDB(t, dsn)
	// The older program: its tables, its rows (no name_fold).
	for _, m := range crmMigrations {
		_, err := db.ExecContext(ctx, m)
		require.NoError(t, err)
	}
	for _, q := range []string{
		`INSERT INTO crm_customers (id, name, document) VALUES ('cu1', 'Comercial Solís', '3-101-123456')`,
		`INSERT INTO crm_contacts (id, customer_id, name) VALUES ('co1', 'cu1', 'Marta Solís')`,
		`INSERT INTO crm_customers (id, name, document) VALUES ('cu2', 'Familia Mora', '')`,
		`INSERT INTO crm_contacts (id, customer_id, name) VALUES ('co2', 'cu2', 'Elena Mora')`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, db.migrate(ctx))
	require.NoError(t, db.migrate(ctx), "idempotent")
	var folded string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT name_fold FROM crm_contacts WHERE id = 'co1'`).Scan(&folded))
	assert.Equal(t, "marta solis", folded, "backfilled")

	names := func(q string) []string {
		t.Helper()
		cs, err := db.Search(ctx, q, 20)
		require.NoError(t, err, q)
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	for _, q := range []string{"solis", "SOLIS", "Solís", "SOLÍS", "sólis", " marta solis ", "comercial solis", "3-101"} {
		assert.Equal(t, []string{"Marta Solís"}, names(q), q)
	}
	assert.Empty(t, names("zzzz"))
	assert.Empty(t, names("%"), "% is literal")
	assert.Empty(t, names("_"), "_ is literal")

	// Written by this program: folded on write, and on a rename.
	cu, co, err := db.CreateCustomer(ctx, NewCustomer{Name: "Núñez Hermanos", Contact: "José Ñandú"})
	require.NoError(t, err)
	assert.Equal(t, []string{"José Ñandú"}, names("nunez"))
	assert.Equal(t, []string{"José Ñandú"}, names("JOSE NANDU"))
	require.NoError(t, db.RenameContact(ctx, cu, co, "Íñigo Ávila"))
	assert.Equal(t, []string{"Íñigo Ávila"}, names("inigo avila"))
	assert.Empty(t, names("nandu"), "the old name is gone")
	require.NoError(t, db.UpdateCustomer(ctx, cu, "Ávila e Hijos", ""))
	assert.Equal(t, []string{"Íñigo Ávila"}, names("avila e hijos"))
	id, err := db.AddContact(ctx, "cu2", "Óscar Mora")
	require.NoError(t, err)
	assert.Equal(t, []string{"Elena Mora", "Óscar Mora"}, names("mora"))
	assert.Equal(t, []string{"Óscar Mora"}, names("oscar"), id)

	// A row an older program writes after the migration: found meanwhile
	// (in lower case), folded at the next start.
	_, err = db.ExecContext(ctx, `INSERT INTO crm_contacts (id, customer_id, name) VALUES ('co3', 'cu2', 'Ana Mora')`)
	require.NoError(t, err)
	assert.Equal(t, []string{"Ana Mora"}, names("ana mora"))
	require.NoError(t, db.migrate(ctx))
	require.NoError(t, db.QueryRowContext(ctx, `SELECT name_fold FROM crm_contacts WHERE id = 'co3'`).Scan(&folded))
	assert.Equal(t, "ana mora", folded)
}

func TestSearchIgnoresAccentsAndCase(t *testing.T) {
	testSearchFolds(t, filepath.Join(t.TempDir(), "crm.db"))
}

func TestSearchIgnoresAccentsAndCaseOnPostgres(t *testing.T) {
	testSearchFolds(t, pgtest.Schema(t))
}
