package homologation

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/screenpop"
	"github.com/callmyway-go/sdk/webhook"
)

// Reference is the SDK's own integration, wired as a CRM wires it but in
// memory: the webhook handler feeds the calls ledger, click to dial and
// the CDR Syncer feed it too, a dated screenpop.MemoryDirectory maps
// phones to agents, and the ledger is served read-only behind a bearer
// token. `cmw homologate` certifies it when given no CRM, and it shows
// a CRM's test how to fill the Target's hooks.
//
// The zero Reference is not usable: create it with NewReference and Close
// it. It is safe for concurrent use.
type Reference struct {
	srv    *httptest.Server
	ledger *calls.Ledger
	dir    *screenpop.MemoryDirectory
	dialer *click2dial.Dialer
	syncer *cdr.Syncer
	token  string
	hook   string
}

// NewReference starts the reference integration against r's fake.
func NewReference(r *Runner) (*Reference, error) {
	x := &Reference{dir: screenpop.NewMemoryDirectory(), token: rand.Text(), hook: rand.Text()}
	acct := r.Account()
	for _, e := range r.Fake().Endpoints() {
		if err := x.dir.Assign(screenpop.Agent{ID: "agent-" + e.ID, Name: e.Name, Endpoint: e.Endpoint}, time.Time{}); err != nil {
			return nil, err
		}
	}
	store, err := calls.NewMemoryStore()
	if err != nil {
		return nil, err
	}
	if x.ledger, err = calls.New(acct, store, calls.WithPhoneBook(x.dir)); err != nil {
		return nil, err
	}
	client, err := callmyway.New(acct, r.Password(), callmyway.WithBaseURL(r.URL()))
	if err != nil {
		return nil, err
	}
	if x.dialer, err = click2dial.New(client, click2dial.WithLiveCalls(x.ledger), click2dial.WithOnAccepted(x.ledger.RecordAccepted)); err != nil {
		return nil, err
	}
	if x.syncer, err = cdr.NewSyncer(client, cdr.NewMemoryStore(), cdr.StartAt(time.Now().Add(-time.Hour)),
		cdr.OnCommit(x.ledger.ReconcileCDRs)); err != nil {
		return nil, err
	}
	hook, err := webhook.NewHandler(acct, x.ledger, webhook.WithToken(x.hook))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /hook/", hook)
	mux.Handle("GET /ledger/", x.bearer(http.StripPrefix("/ledger", x.ledger.Handler())))
	x.srv = httptest.NewServer(mux)
	return x, nil
}

// bearer lets through requests carrying the ledger's read token.
func (x *Reference) bearer(h http.Handler) http.Handler {
	want := []byte("Bearer " + x.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Target is the reference integration as a Target, hooks included.
func (x *Reference) Target() Target {
	return Target{
		Name:         "the SDK's reference integration (in memory)",
		WebhookURL:   x.srv.URL + "/hook/" + x.hook,
		LedgerURL:    x.srv.URL + "/ledger/",
		LedgerHeader: http.Header{"Authorization": {"Bearer " + x.token}},
		Sync: func(ctx context.Context) error {
			_, err := x.syncer.SyncOnce(ctx)
			return err
		},
		Dial: func(ctx context.Context, agent callmyway.Endpoint, number string) error {
			_, err := x.dialer.Dial(ctx, click2dial.Request{Agent: agent, Number: number})
			return err
		},
		Reassign: func(_ context.Context, ep callmyway.Endpoint, at time.Time) error {
			return x.dir.Assign(screenpop.Agent{ID: "agent-new-" + ep.ID, Name: "New agent of " + ep.String(), Endpoint: ep}, at)
		},
		Owner: func(ctx context.Context, callid string) (string, error) {
			c, err := x.ledger.Get(ctx, callid)
			if err != nil {
				return "", err
			}
			a, ok, err := x.dir.AgentFor(ctx, c.Agent, c.Start)
			if err != nil || !ok {
				return "", errors.Join(err, fmt.Errorf("no agent had %s at %s", c.Agent, c.Start))
			}
			return a.Name, nil
		},
	}
}

// Close stops the reference integration's server.
func (x *Reference) Close() { x.srv.Close() }
