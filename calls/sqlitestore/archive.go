package sqlitestore

import (
	"context"

	"github.com/callmyway-go/sdk/calls"
)

var _ calls.TxDeleter = (*sqliteTx)(nil)

// Delete implements calls.TxDeleter for Ledger.Archive. It keeps the
// record holding the greatest seq: the next update numbers its changes
// from it, and a reader of the change stream must never see a seq again.
func (t *sqliteTx) Delete(ctx context.Context, ids, chargeKeys []string) ([]string, error) {
	if err := t.ov.Deletable(ids); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `DELETE FROM ledger_calls WHERE id IN (SELECT value FROM json_each(?))
		AND seq < (SELECT MAX(seq) FROM ledger_calls) RETURNING id`, jsonArray(ids))
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
		if err := t.s.exec(ctx, `DELETE FROM ledger_charges WHERE key IN (SELECT value FROM json_each(?))
			AND call_id IN (SELECT value FROM json_each(?))`, jsonArray(chargeKeys), jsonArray(gone)); err != nil {
			return nil, err
		}
	}
	return gone, nil
}
