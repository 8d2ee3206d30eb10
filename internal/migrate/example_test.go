package migrate_test

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/callmyway-go/sdk/internal/migrate"
)

func ExampleApply() {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	v, err := migrate.Apply(context.Background(), migrate.SQL(db, migrate.SQLite), "notes", []migrate.Step{
		{Version: 1, SQL: `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`},
		{Version: 2, SQL: `ALTER TABLE notes ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0`},
	})
	fmt.Println(v, err)
	// Output: 2 <nil>
}
