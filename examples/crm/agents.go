package main

import (
	"net/http"
	"strings"
)

// The agents page: agents and their CallMyWay endpoints, dated. Admins
// change them; supervisors read them.

func (a *App) handleAgents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		a.render(w, r, http.StatusOK, "agents", map[string]any{"Agents": agents, "CanEdit": userFrom(r.Context()).Role == RoleAdmin,
			"Msg": r.URL.Query().Get("msg")})
	})
}

func (a *App) handleAddAgent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := a.db.AddAgent(r.Context(), r.FormValue("name"))
		redirectMsg(w, r, "/agents", err)
	})
}

func (a *App) handleAssignEndpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := a.db.AssignEndpoint(r.Context(), Endpoint{AgentID: r.FormValue("agent_id"), EndpointID: r.FormValue("endpoint_id"),
			Username: strings.TrimSpace(r.FormValue("username")), Password: r.FormValue("password"),
			Private: r.FormValue("private") != "", Primary: r.FormValue("primary") != ""})
		redirectMsg(w, r, "/agents", err)
	})
}
