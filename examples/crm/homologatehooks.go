package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest/homologation"
)

// handleHomologationHooks serves the homologation hooks (POST
// /homologation/hooks, admins only, with Config.HomologationHooks): the
// JSON contract of homologation.HooksHandler, which `cmw homologate
// -crm-hooks` calls so that the scenarios needing the CRM to act (dial,
// reassign a phone) run over HTTP too.
func (a *App) handleHomologationHooks() http.Handler {
	return homologation.HooksHandler(a.homologationHooks())
}

// homologationHooks are the CRM's hooks for the homologation runner, each
// through the path a person's action takes: the same functions serve
// `cmw homologate -crm-hooks` over HTTP and TestHomologation in process.
func (a *App) homologationHooks() homologation.Target {
	return homologation.Target{
		// The Syncer's next step, now.
		Sync: func(ctx context.Context) error {
			_, err := a.syncer.SyncOnce(ctx)
			return err
		},
		// The console's click, without the browser: the agent who has the
		// phone now dials through their Dialer.
		Dial: func(ctx context.Context, ep callmyway.Endpoint, number string) error {
			ag, ok, err := a.db.AgentFor(ctx, ep, time.Now())
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("no agent has phone %s", ep)
			}
			d, _, err := a.dialerFor(ctx, ag.ID)
			if err != nil {
				return err
			}
			_, err = d.Dial(ctx, click2dial.Request{Agent: ag.Endpoint, Number: number, Meta: map[string]string{"agent": ag.ID}})
			return err
		},
		// The admin's agents page: the phone goes to a new agent from at;
		// the mapping it had ends there.
		Reassign: func(ctx context.Context, ep callmyway.Endpoint, at time.Time) error {
			id, err := a.db.AddAgent(ctx, "Nuevo agente de "+ep.ID)
			if err != nil {
				return err
			}
			return a.db.AssignEndpoint(ctx, Endpoint{AgentID: id, EndpointID: ep.ID, Username: ep.User, Primary: true, ValidFrom: at})
		},
		// The calls page: the agent each call is credited to.
		Owner: func(ctx context.Context, callid string) (string, error) {
			rows, err := a.History(ctx, CallsFilter{From: time.Now().Add(-48 * time.Hour), To: time.Now().Add(48 * time.Hour)})
			if err != nil {
				return "", err
			}
			for _, row := range rows {
				if row.CallID == callid {
					return row.AgentName, nil
				}
			}
			return "", fmt.Errorf("call %s is not on the calls page", callid)
		},
	}
}
