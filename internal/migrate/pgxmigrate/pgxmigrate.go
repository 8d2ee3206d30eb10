// Package pgxmigrate adapts a pgx pool to migrate.DB. It lives apart from
// package migrate so that programs on SQLite never link pgx.
package pgxmigrate

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/internal/migrate"
)

// Pool adapts pool to migrate.DB (dialect migrate.Postgres).
func Pool(pool *pgxpool.Pool) migrate.DB { return poolDB{pool} }

// Apply is migrate.Apply on pool.
func Apply(ctx context.Context, pool *pgxpool.Pool, component string, steps []migrate.Step) (int, error) {
	return migrate.Apply(ctx, Pool(pool), component, steps)
}

type poolDB struct{ pool *pgxpool.Pool }

func (poolDB) Dialect() migrate.Dialect { return migrate.Postgres }

func (p poolDB) InTx(ctx context.Context, f func(migrate.Tx) error) error {
	if p.pool == nil {
		return errors.New("migrate: nil *pgxpool.Pool")
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return f(pgxTx{tx}) })
}

type pgxTx struct{ tx pgx.Tx }

func (t pgxTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.Exec(ctx, query, args...)
	return err
}

func (t pgxTx) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := t.tx.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}
