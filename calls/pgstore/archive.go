package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/callmyway-go/sdk/calls"
)

var _ calls.TxDeleter = (*pgTx)(nil)

// Delete implements calls.TxDeleter for Ledger.Archive. The sequence
// numbers changes, so deleting a row never makes a seq come back.
func (t *pgTx) Delete(ctx context.Context, ids, chargeKeys []string) ([]string, error) {
	if err := t.ov.Deletable(ids); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(ctx, "DELETE FROM ledger_calls WHERE id = ANY($1) RETURNING id", ids)
	if err != nil {
		return nil, err
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if len(gone) > 0 && len(chargeKeys) > 0 {
		if _, err := t.tx.Exec(ctx, "DELETE FROM ledger_charges WHERE key = ANY($1) AND call_id = ANY($2)", chargeKeys, gone); err != nil {
			return nil, err
		}
	}
	return gone, nil
}
