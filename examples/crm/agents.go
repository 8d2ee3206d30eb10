package main

import (
	"net/http"
	"strings"
	"time"
)

// The agents page: agents and their CallMyWay endpoints, dated. Admins
// change them; supervisors read them (mappings.go: edit, end, remove).

func (a *App) handleAgents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		msg, isErr := "", false
		if k := r.URL.Query().Get("msg"); messages[k] != [2]string{} {
			msg, isErr = translate(lang(r), k), strings.HasPrefix(k, "err_") // only known keys: nothing from the URL is echoed
		}
		a.render(w, r, http.StatusOK, "agents", &agentsView{Agents: agents, CanEdit: userFrom(r.Context()).Role == RoleAdmin, Msg: msg, MsgErr: isErr,
			Now: time.Now().In(a.cfg.Loc).Format("2006-01-02T15:04")})
	})
}

func (a *App) handleAddAgent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if name := r.PostFormValue("name"); strings.TrimSpace(name) == "" {
			err = errAgentName
		} else {
			_, err = a.db.AddAgent(r.Context(), name)
		}
		a.agentsDone(w, r, err, "agent_created")
	})
}

func (a *App) handleAssignEndpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := Endpoint{AgentID: r.PostFormValue("agent_id"), EndpointID: r.PostFormValue("endpoint_id"),
			Username: strings.TrimSpace(r.PostFormValue("username")), Password: r.PostFormValue("password"),
			Private: r.PostFormValue("private") != "", Primary: r.PostFormValue("primary") != ""}
		err := a.db.checkMapping(r.Context(), e)
		if err == nil {
			err = a.db.AssignEndpoint(r.Context(), e)
		}
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: endpoint mapped", "endpoint", r.FormValue("endpoint_id"), "agent_id", r.FormValue("agent_id"), "by", userFrom(r.Context()).Username)
		}
		a.agentsDone(w, r, err, "mapping_added")
	})
}
