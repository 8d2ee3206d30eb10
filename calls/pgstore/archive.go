package pgstore

import (
	"context"

	"github.com/callmyway-go/sdk/calls"
)

var _ calls.TxDeleter = (*pgTx)(nil)

// Delete implements calls.TxDeleter for Ledger.Archive. The sequence
// numbers changes, so deleting a row never makes a seq come back.
func (t *pgTx) Delete(ctx context.Context, ids, chargeKeys []string) ([]string, error) {
	for _, id := range ids {
		if _, miss := t.ov.Get([]string{id}); len(miss) == 0 {
			return nil, &calls.InvalidError{Field: "Delete", Reason: "record " + id + " was written in this transaction"}
		}
	}
	rows, err := t.tx.Query(ctx, "DELETE FROM ledger_calls WHERE id = ANY($1) RETURNING id", ids)
	if err != nil {
		return nil, err
	}
	var gone []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		gone = append(gone, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(gone) > 0 && len(chargeKeys) > 0 {
		if _, err := t.tx.Exec(ctx, "DELETE FROM ledger_charges WHERE key = ANY($1) AND call_id = ANY($2)", chargeKeys, gone); err != nil {
			return nil, err
		}
	}
	return gone, nil
}
