package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminEditsOnPostgres: two admins demoting each other at the same
// moment leave one admin (the admin rows are locked), and endpoint
// mappings are edited, ended and removed with the same SQL as on SQLite.
func TestAdminEditsOnPostgres(t *testing.T) {
	cfg, _ := pgConfig(t)
	a, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer a.Close()
	ctx := context.Background()

	for round := range 5 {
		var ids []string
		for _, name := range []string{"boss", "chief"} {
			name += string(rune('a' + round))
			id, err := a.db.AddUser(ctx, name, "a-long-password", RoleAdmin, "")
			require.NoError(t, err)
			ids = append(ids, id)
		}
		if round > 0 { // only this round's two admins are enabled
			users, err := a.db.Users(ctx)
			require.NoError(t, err)
			for _, u := range users {
				if u.Role == RoleAdmin && u.ID != ids[0] && u.ID != ids[1] {
					require.NoError(t, a.db.SetRole(ctx, u.ID, RoleSupervisor))
				}
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { errs[i] = a.db.SetRole(ctx, ids[i], RoleAgent) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			if errors.Is(err, errLastAdminRole) {
				refused++
			} else {
				require.NoError(t, err)
			}
		}
		assert.Equal(t, 1, refused, "round %d: one of the two demotions is refused", round)
		n, err := a.db.CountAdmins(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "round %d", round)
	}

	agent, err := a.db.AddAgent(ctx, "Ana Rojas")
	require.NoError(t, err)
	require.NoError(t, a.db.AssignEndpoint(ctx, Endpoint{AgentID: agent, EndpointID: "5001", Username: "8000001", Password: "secret",
		Primary: true, ValidFrom: time.Now().Add(-48 * time.Hour)}))
	agents, err := a.db.Agents(ctx)
	require.NoError(t, err)
	m := agents[0].Endpoints[0]
	require.NoError(t, a.db.EditMapping(ctx, Endpoint{ID: m.ID, Username: "8000011", Private: true}))
	e, err := a.db.Mapping(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, [3]any{"8000011", "secret", true}, [3]any{e.Username, e.Password, e.Private})
	end := time.Now().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, a.db.EndMapping(ctx, m.ID, end, time.Now()))
	assert.ErrorIs(t, a.db.EndMapping(ctx, m.ID, end, time.Now()), errMappingEnded)
	e, err = a.db.Mapping(ctx, m.ID)
	require.NoError(t, err)
	assert.True(t, e.ValidTo.Equal(end))
	require.NoError(t, a.db.RemoveMapping(ctx, m.ID))
	assert.ErrorIs(t, a.db.RemoveMapping(ctx, m.ID), errUnknownEndpoint)
	_, err = a.db.Mapping(ctx, m.ID)
	assert.ErrorIs(t, err, errUnknownEndpoint)
}
