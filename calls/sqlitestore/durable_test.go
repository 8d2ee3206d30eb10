package sqlitestore

import (
	"path/filepath"
	"testing"
)

// TestOpenCommitsSynchronously: every connection of a Store from Open
// commits with synchronous=FULL (2), so an acknowledged webhook event
// survives a power loss, not only a crash of the process (issue 16: an ack
// means durable). Several connections are checked, not only the first.
func TestOpenCommitsSynchronously(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var conns []interface{ Close() error }
	for range 3 {
		c, err := s.db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode int
		if err := c.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != 2 {
			t.Fatalf("PRAGMA synchronous = %d on a connection, want 2 (FULL)", mode)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
