package main

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// The users page (admins): add a user with a role and an optional agent
// link, reset a password, disable or enable. Passwords are never shown,
// logged or put in a URL.

// userErrorKeys translate the user store's errors.
var userErrorKeys = map[error]string{
	errBadUsername:     "err_bad_username",
	errPasswordLength:  "err_password_length",
	errUsernameTaken:   "err_username_taken",
	errBadRole:         "err_bad_role",
	errUnknownAgent:    "err_unknown_agent",
	errUnknownUser:     "err_unknown_user",
	errLastAdmin:       "err_last_admin",
	errDisableYourself: "err_disable_yourself",
	errLastAdminRole:   "err_last_admin_role",
}

// usersDone redirects to the users page with the outcome as a message
// key (translated there); an unexpected error is a 500.
func (a *App) usersDone(w http.ResponseWriter, r *http.Request, err error, okKey string) {
	key := okKey
	if err != nil {
		var known bool
		for e, k := range userErrorKeys {
			if errors.Is(err, e) {
				key, known = k, true
			}
		}
		if !known {
			a.fail(w, err)
			return
		}
	}
	http.Redirect(w, r, "/users?msg="+url.QueryEscape(key), http.StatusSeeOther)
}

func (a *App) handleUsers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users, err := a.db.Users(r.Context())
		if a.fail(w, err) {
			return
		}
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		msg, isErr := "", false
		if k := r.URL.Query().Get("msg"); messages[k] != [2]string{} {
			msg, isErr = translate(lang(r), k), strings.HasPrefix(k, "err_") // only known keys: nothing from the URL is echoed
		}
		a.render(w, r, http.StatusOK, "users", &usersView{Users: users, Agents: agents, Roles: roles, Msg: msg, MsgErr: isErr})
	})
}

func (a *App) handleAddUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := a.db.AddUser(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"), Role(r.PostFormValue("role")), r.PostFormValue("agent_id"))
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: user added", "user", normUsername(r.PostFormValue("username")), "role", r.PostFormValue("role"),
				"by", userFrom(r.Context()).Username)
		}
		a.usersDone(w, r, err, "user_added")
	})
}

func (a *App) handleResetPassword() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := a.db.SetPassword(r.Context(), r.PathValue("id"), r.PostFormValue("password"))
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: password reset", "user_id", r.PathValue("id"), "by", userFrom(r.Context()).Username)
		}
		a.usersDone(w, r, err, "password_reset")
	})
}

func (a *App) handleSetDisabled() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		disable := r.PostFormValue("disabled") == "1"
		var err error
		if disable && r.PathValue("id") == userFrom(r.Context()).ID {
			err = errDisableYourself
		} else {
			err = a.db.SetDisabled(r.Context(), r.PathValue("id"), disable)
		}
		key := "user_enabled"
		if disable {
			key = "user_disabled"
		}
		a.usersDone(w, r, err, key)
	})
}

// handleSetRole changes a user's role. An admin who gives up their own
// admin role is sent home: the users page is no longer theirs.
func (a *App) handleSetRole() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := Role(r.PostFormValue("role"))
		err := a.db.SetRole(r.Context(), r.PathValue("id"), role)
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: role changed", "user_id", r.PathValue("id"), "role", string(role), "by", userFrom(r.Context()).Username)
			if r.PathValue("id") == userFrom(r.Context()).ID && role != RoleAdmin {
				http.Redirect(w, r, "/", http.StatusSeeOther)
				return
			}
		}
		a.usersDone(w, r, err, "user_role_set")
	})
}

// handleSetAgent links a user to an agent, or unlinks it.
func (a *App) handleSetAgent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agentID := r.PostFormValue("agent_id")
		err := a.db.SetAgent(r.Context(), r.PathValue("id"), agentID)
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: agent link changed", "user_id", r.PathValue("id"), "agent_id", agentID, "by", userFrom(r.Context()).Username)
		}
		key := "user_agent_set"
		if agentID == "" {
			key = "user_agent_cleared"
		}
		a.usersDone(w, r, err, key)
	})
}
