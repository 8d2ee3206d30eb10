package homologation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/calls"
)

// ledgerClient reads a CRM's ledger over HTTP (calls.Ledger.Handler) and
// keeps each answer as evidence.
type ledgerClient struct {
	base   string
	header http.Header
	client *http.Client
	reads  *[]LedgerRead
}

// maxEvidence bounds the body kept per ledger answer.
const maxEvidence = 16 << 10

func (l *ledgerClient) do(ctx context.Context, pathAndQuery string) (int, []byte, error) {
	u := strings.TrimRight(l.base, "/") + "/" + pathAndQuery
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range l.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		l.keep(LedgerRead{Request: "GET " + pathAndQuery, Err: err.Error()})
		return 0, nil, fmt.Errorf("reading the CRM's ledger: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	read := LedgerRead{Request: "GET " + pathAndQuery, Status: resp.StatusCode}
	if len(b) <= maxEvidence && json.Valid(b) {
		read.Body = json.RawMessage(b)
	} else {
		read.Text = string(b[:min(len(b), 2048)])
	}
	l.keep(read)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading the CRM's ledger: %w", err)
	}
	return resp.StatusCode, b, nil
}

func (l *ledgerClient) keep(r LedgerRead) {
	if l.reads != nil {
		*l.reads = append(*l.reads, r)
	}
}

// get reads one call; found is false on a 404.
func (l *ledgerClient) get(ctx context.Context, id string) (c calls.Call, found bool, err error) {
	status, b, err := l.do(ctx, url.PathEscape(id))
	switch {
	case err != nil:
		return c, false, err
	case status == http.StatusNotFound:
		return c, false, nil
	case status != http.StatusOK:
		return c, false, fmt.Errorf("the CRM's ledger answered HTTP %d for call %s (check Target.LedgerHeader: a supervisor's credentials)", status, id)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, false, fmt.Errorf("the CRM's ledger answered call %s with something that is not a call: %w", id, err)
	}
	return c, true, nil
}

// list reads the calls started in [from, to).
func (l *ledgerClient) list(ctx context.Context, from, to time.Time) ([]calls.Call, error) {
	q := url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}, "limit": {"1000"}}
	status, b, err := l.do(ctx, "?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("the CRM's ledger answered HTTP %d to a listing (check Target.LedgerHeader: a supervisor's credentials)", status)
	}
	var out []calls.Call
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("the CRM's ledger listing is not a list of calls: %w", err)
	}
	return out, nil
}
