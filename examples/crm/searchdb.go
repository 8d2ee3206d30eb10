package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/internal/migrate"
)

// The customer search (DB.Search) ignores accents and case: "solis" and
// "SOLIS" find "Solís", on SQLite and PostgreSQL alike. Neither database
// folds accents by itself (SQLite's LOWER knows only ASCII; PostgreSQL's
// unaccent is an extension), so the store keeps a folded copy of each
// customer's and contact's name, name_fold, written with the name, and
// the search compares the folded query with it.

// fold is text as the search compares it: decomposed (NFD), without its
// combining marks (the accents: "í" is "i" + U+0301), in lower case.
// "Solís" and "SOLÍS" fold to "solis", "Núñez" to "nunez".
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// searchMigrations add the folded names, component "crm_search" in
// schema_migrations. Rows written before them (and by an older program
// since) have a NULL name_fold: backfillFolds fills them at every start,
// and the search falls back to LOWER(name) meanwhile. A released step
// never changes: add a new one.
var searchMigrations = []migrate.Step{
	{Version: 1, SQL: `ALTER TABLE crm_customers ADD COLUMN name_fold TEXT`},
	{Version: 2, SQL: `ALTER TABLE crm_contacts ADD COLUMN name_fold TEXT`},
}

// migrateSearch applies searchMigrations, then backfills the folds.
func (db *DB) migrateSearch(ctx context.Context) error {
	d := migrate.SQLite
	if db.dialect == sqlstore.Postgres {
		d = migrate.Postgres
	}
	if _, err := migrate.Apply(ctx, migrate.SQL(db.DB, d), "crm_search", searchMigrations); err != nil {
		return err
	}
	return db.backfillFolds(ctx)
}

// backfillFolds writes name_fold where it is missing, one transaction per
// table. A row renamed meanwhile is left to its writer, which folds the
// new name itself.
func (db *DB) backfillFolds(ctx context.Context) error {
	for _, table := range []string{"crm_customers", "crm_contacts"} {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id, name FROM `+table+` WHERE name_fold IS NULL`)
			if err != nil {
				return err
			}
			var todo [][2]string
			for rows.Next() {
				var id, name string
				if err := rows.Scan(&id, &name); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, [2]string{id, name})
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range todo {
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE `+table+` SET name_fold = ? WHERE id = ? AND name = ?`), fold(r[1]), r[0], r[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("crm: backfilling %s.name_fold: %w", table, err)
		}
	}
	return nil
}
