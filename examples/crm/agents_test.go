package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

// mappingOf is the agent's mapping of the endpoint id, current or ended.
func mappingOf(t *testing.T, a *testApp, agent, endpointID string) (Endpoint, bool) {
	t.Helper()
	agents, err := a.db.Agents(context.Background())
	require.NoError(t, err)
	for _, ag := range agents {
		if ag.ID != agent {
			continue
		}
		for _, e := range append(ag.Endpoints, ag.History...) {
			if e.EndpointID == endpointID {
				return e, true
			}
		}
	}
	return Endpoint{}, false
}

// Admins edit, end and remove endpoint mappings. Ending keeps the
// mapping as history (calls before the end stay the agent's); removing
// deletes it. An unknown mapping, a bad end date, an unknown agent and
// missing fields get clear, translated messages; supervisors cannot
// change anything.
func TestAgentMappingsEditEndRemove(t *testing.T) {
	a := newTestApp(t)
	admin := a.as(t, "admin")
	beto := a.agentID(t, "Beto")
	m, ok := mappingOf(t, a, beto, "5002")
	require.True(t, ok)
	require.NotEmpty(t, m.Password)

	// Edit: a new username and flags; an empty password keeps the old one.
	code, body := admin.post(t, "/agents/mappings/"+m.ID, url.Values{"username": {"8000022"}, "primary": {"on"}, "private": {"on"}})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Asignación guardada.")
	e, _ := mappingOf(t, a, beto, "5002")
	assert.Equal(t, [3]any{"8000022", true, true}, [3]any{e.Username, e.Primary, e.Private})
	assert.Equal(t, m.Password, e.Password, "kept")
	_, body = admin.post(t, "/agents/mappings/"+m.ID, url.Values{"username": {"abc"}})
	assert.Contains(t, body, "usuario CallMyWay numérico")

	// End: not in the future, not before the start, a real date.
	loc := a.cfg.Loc
	_, body = admin.post(t, "/agents/mappings/"+m.ID+"/end", url.Values{"until": {time.Now().Add(time.Hour).In(loc).Format("2006-01-02T15:04")}})
	assert.Contains(t, body, "El fin debe ser posterior al inicio de la asignación y no estar en el futuro.")
	_, body = admin.post(t, "/agents/mappings/"+m.ID+"/end", url.Values{"until": {m.ValidFrom.AddDate(0, 0, -1).Format("2006-01-02T15:04")}}, "Accept-Language", "en")
	assert.Contains(t, body, "The end must be after the mapping&#39;s start and not in the future.")
	_, body = admin.post(t, "/agents/mappings/"+m.ID+"/end", url.Values{"until": {"yesterday"}})
	assert.Contains(t, body, "Fecha y hora de fin inválidas.")
	e, _ = mappingOf(t, a, beto, "5002")
	require.True(t, e.ValidTo.IsZero(), "still current")

	end := time.Now().Add(-time.Hour).Truncate(time.Minute)
	_, body = admin.post(t, "/agents/mappings/"+m.ID+"/end", url.Values{"until": {end.In(loc).Format("2006-01-02T15:04")}})
	assert.Contains(t, body, "Asignación terminada: queda en el historial.")
	e, _ = mappingOf(t, a, beto, "5002")
	assert.True(t, e.ValidTo.Equal(end), "ended at the given time: %v", e.ValidTo)
	assert.False(t, e.Primary)
	before, ok, err := a.db.AgentFor(context.Background(), callmyway.Endpoint{ID: "5002"}, end.Add(-time.Minute))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "Beto Vargas", before.Name, "a call before the end stays Beto's")
	_, ok, err = a.db.AgentFor(context.Background(), callmyway.Endpoint{ID: "5002"}, time.Now())
	require.NoError(t, err)
	assert.False(t, ok, "nobody's phone now")
	_, body = admin.post(t, "/agents/mappings/"+m.ID+"/end", nil)
	assert.Contains(t, body, "Esa asignación ya había terminado.")
	_, body = admin.get(t, "/agents")
	assert.Regexp(t, `(?s)Historial.*data-mapping="`+m.ID+`"`, body, "in the history")

	// Remove: gone; then it is an unknown endpoint to every action.
	_, body = admin.post(t, "/agents/mappings/"+m.ID+"/remove", nil)
	assert.Contains(t, body, "Asignación eliminada.")
	_, ok = mappingOf(t, a, beto, "5002")
	assert.False(t, ok)
	for _, path := range []string{"/agents/mappings/" + m.ID + "/remove", "/agents/mappings/" + m.ID + "/end", "/agents/mappings/nope"} {
		code, body = admin.post(t, path, url.Values{"username": {"8000002"}})
		assert.Equal(t, http.StatusOK, code, path)
		assert.Contains(t, body, "EndPoint desconocido: no existe esa asignación", path)
		assert.Contains(t, body, `class="msg err"`, path)
	}
	_, body = admin.post(t, "/agents/mappings/nope/remove", nil, "Accept-Language", "en")
	assert.Contains(t, body, "Unknown endpoint: there is no such mapping")

	// Assigning: to an unknown agent, without fields, a nameless agent.
	_, body = admin.post(t, "/agents/endpoint", url.Values{"agent_id": {"nope"}, "endpoint_id": {"5002"}, "username": {"8000002"}})
	assert.Contains(t, body, "Agente desconocido.")
	_, body = admin.post(t, "/agents/endpoint", url.Values{"agent_id": {beto}, "endpoint_id": {" "}, "username": {"8000002"}})
	assert.Contains(t, body, "Se requieren el agente")
	_, body = admin.post(t, "/agents", url.Values{"name": {"  "}})
	assert.Contains(t, body, "El agente necesita un nombre.")
	_, body = admin.post(t, "/agents/endpoint", url.Values{"agent_id": {beto}, "endpoint_id": {"5002"}, "username": {"8000002"}, "primary": {"on"}})
	assert.Contains(t, body, "EndPoint asignado.")
	_, ok = mappingOf(t, a, beto, "5002")
	assert.True(t, ok)

	// The URL's message is never echoed: only known keys are shown.
	_, body = admin.get(t, "/agents?msg=%3Cb%3Ehello")
	assert.NotContains(t, body, `id="msg"`)

	// Supervisors read, never write.
	super := a.as(t, "super")
	n, _ := mappingOf(t, a, beto, "5002")
	for _, path := range []string{"/agents/mappings/" + n.ID, "/agents/mappings/" + n.ID + "/end", "/agents/mappings/" + n.ID + "/remove"} {
		code, _ = super.post(t, path, url.Values{"username": {"8000002"}})
		assert.Equal(t, http.StatusForbidden, code, path)
	}
	_, body = super.get(t, "/agents")
	assert.NotContains(t, body, "/remove", "no forms for supervisors")
	_, ok = mappingOf(t, a, beto, "5002")
	assert.True(t, ok)
}

// Every refusal of the agents store has its message in both languages.
func TestAgentErrorsAreTranslated(t *testing.T) {
	for _, k := range errorKeys {
		assert.NotEmpty(t, messages[k.key][0], k.err.Error())
		assert.NotEmpty(t, messages[k.key][1], k.err.Error())
	}
}
