package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// userRow is the demo user's row as the store has it.
func userRow(t *testing.T, a *testApp, username string) User {
	t.Helper()
	u, ok, err := a.db.UserByID(context.Background(), a.userID(t, username))
	require.NoError(t, err)
	require.True(t, ok)
	return u
}

// Admins change a user's role and agent link; an unknown agent, an
// unknown role or user are refused with translated messages, and the
// last enabled admin cannot lose the admin role (not even by
// themselves). Supervisors and agents cannot change either.
func TestUsersRoleAndAgentEdits(t *testing.T) {
	a := newTestApp(t)
	admin := a.as(t, "admin")
	beto := a.userID(t, "beto")

	// Beto becomes a supervisor, linked to Carla, then to nobody.
	code, body := admin.post(t, "/users/"+beto+"/role", url.Values{"role": {"supervisor"}})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Rol cambiado.")
	assert.Equal(t, RoleSupervisor, userRow(t, a, "beto").Role)
	_, body = admin.post(t, "/users/"+beto+"/agent", url.Values{"agent_id": {a.agentID(t, "Carla")}})
	assert.Contains(t, body, "Agente vinculado.")
	assert.Equal(t, "Carla Jiménez", userRow(t, a, "beto").AgentName)
	_, body = admin.post(t, "/users/"+beto+"/agent", url.Values{"agent_id": {""}}, "Accept-Language", "en")
	assert.Contains(t, body, "The user is no longer linked to an agent.")
	assert.Empty(t, userRow(t, a, "beto").AgentID)

	// Refusals, in the reader's language, nothing changed.
	_, body = admin.post(t, "/users/"+beto+"/agent", url.Values{"agent_id": {"no-such-agent"}})
	assert.Contains(t, body, "Agente desconocido.")
	_, body = admin.post(t, "/users/"+beto+"/agent", url.Values{"agent_id": {"no-such-agent"}}, "Accept-Language", "en")
	assert.Contains(t, body, "Unknown agent.")
	_, body = admin.post(t, "/users/"+beto+"/role", url.Values{"role": {"root"}})
	assert.Contains(t, body, "Rol inválido.")
	_, body = admin.post(t, "/users/nobody/role", url.Values{"role": {"agent"}})
	assert.Contains(t, body, "Usuario desconocido.")
	_, body = admin.post(t, "/users/nobody/agent", url.Values{"agent_id": {""}})
	assert.Contains(t, body, "Usuario desconocido.")
	assert.Equal(t, RoleSupervisor, userRow(t, a, "beto").Role)

	// The only admin cannot demote themselves.
	me := a.userID(t, "admin")
	_, body = admin.post(t, "/users/"+me+"/role", url.Values{"role": {"agent"}})
	assert.Contains(t, body, `<p class="msg err" id="msg" role="status">No se puede quitar el rol de administrador al último administrador activo.</p>`)
	assert.Equal(t, RoleAdmin, userRow(t, a, "admin").Role)

	// With a second admin, one may step down, and is sent home (the users
	// page is not theirs any more); the other is then the last.
	_, body = admin.post(t, "/users/"+beto+"/role", url.Values{"role": {"admin"}})
	assert.Contains(t, body, "Rol cambiado.")
	code, body = admin.post(t, "/users/"+me+"/role", url.Values{"role": {"supervisor"}})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Hola, admin", "home")
	assert.Equal(t, RoleSupervisor, userRow(t, a, "admin").Role)
	_, body = a.as(t, "beto").post(t, "/users/"+beto+"/role", url.Values{"role": {"agent"}}, "Accept-Language", "en")
	assert.Contains(t, body, "The last enabled admin cannot lose the admin role.")
	assert.Equal(t, RoleAdmin, userRow(t, a, "beto").Role)
	// A disabled admin does not count: disabling the last enabled one is refused too.
	require.ErrorIs(t, a.db.SetDisabled(context.Background(), beto, true), errLastAdmin)

	// Not for supervisors or agents.
	for _, u := range []string{"admin", "ana"} { // admin is a supervisor now
		c := a.as(t, u)
		code, _ = c.post(t, "/users/"+beto+"/role", url.Values{"role": {"agent"}})
		assert.Equal(t, http.StatusForbidden, code, u)
		code, _ = c.post(t, "/users/"+beto+"/agent", url.Values{"agent_id": {""}})
		assert.Equal(t, http.StatusForbidden, code, u)
	}
	assert.Equal(t, RoleAdmin, userRow(t, a, "beto").Role)

	// The page shows the current role and link selected.
	_, body = a.as(t, "beto").get(t, "/users")
	assert.Regexp(t, `<tr data-user="admin">[\s\S]*?<option value="supervisor" selected>`, body)
}
