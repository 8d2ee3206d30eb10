package pgdedupe

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/callmyway-go/sdk/internal/pgtest"
)

// TestSessionNeverUsesGenericPlans: the session's claims and releases are
// planned for their arguments at every execution. A generic plan made
// while the table was empty is a sequential scan that PostgreSQL keeps as
// the table grows to a window of keys: it made each release scan the
// whole table and halved the webhook's throughput (see internal/pgplan).
func TestSessionNeverUsesGenericPlans(t *testing.T) {
	ctx := t.Context()
	pool := pgtest.Pool(t, pgtest.Schema(t), "cmw-dedupe-plan")
	d, err := New(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Rounds of concurrent deliveries, so that the session batches many
	// keys into one statement as it does under load: with an array of
	// many keys a custom plan looks dearer than the generic one.
	for round := range 10 {
		var g errgroup.Group
		for i := range 64 {
			g.Go(func() error {
				key := fmt.Sprintf("call-%d-%d|callStart", round, i)
				if dup, err := d.Acquire(ctx, key); err != nil || dup {
					return fmt.Errorf("Acquire(%s) = %v, %v", key, dup, err)
				}
				return d.Release(ctx, key, i%8 != 0)
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	var generic, custom int64
	err = d.onSession(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `SELECT COALESCE(SUM(generic_plans), 0), COALESCE(SUM(custom_plans), 0)
			FROM pg_prepared_statements WHERE cardinality(parameter_types) > 0`).Scan(&generic, &custom)
	})
	if err != nil {
		t.Fatal(err)
	}
	if generic > 0 || custom < 20 {
		t.Fatalf("session plans: %d generic, %d custom; want 0 generic and one custom per claim and release", generic, custom)
	}
}
