package main

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Endpoint mappings, managed by admins on the agents page: add (assign),
// edit, end and remove. Ending a mapping keeps it in the agent's history
// (past calls stay credited to the agent who had the phone); removing one
// deletes it, for a mapping entered by mistake.

// Errors of the agents and mappings store; each has a translation (see
// errorKeys).
var (
	errAgentName       = errors.New("agent name required")
	errMappingFields   = errors.New("agent, endpoint id and a numeric CallMyWay username are required")
	errUnknownEndpoint = errors.New("unknown endpoint mapping")
	errMappingEnded    = errors.New("the endpoint mapping has already ended")
	errEndDate         = errors.New("the end must be after the mapping's start and not in the future")
	errBadEndDate      = errors.New("the end date is not a date and time")
)

// checkMapping refuses a new mapping without its agent, endpoint id or
// numeric username, or for an unknown agent, with errors the page
// translates.
func (db *DB) checkMapping(ctx context.Context, e Endpoint) error {
	if e.AgentID == "" || strings.TrimSpace(e.EndpointID) == "" || e.Username == "" || strings.Trim(e.Username, "0123456789") != "" {
		return errMappingFields
	}
	return db.checkAgent(ctx, e.AgentID)
}

// Mapping returns one endpoint mapping (current or ended) by its id.
func (db *DB) Mapping(ctx context.Context, id string) (Endpoint, error) {
	var e Endpoint
	var priv, prim int
	var from, to int64
	err := db.QueryRowContext(ctx, db.q(`SELECT id, agent_id, endpoint_id, username, password, private, is_primary, valid_from, valid_to
		FROM crm_endpoints WHERE id = ?`), id).Scan(&e.ID, &e.AgentID, &e.EndpointID, &e.Username, &e.Password, &priv, &prim, &from, &to)
	if errors.Is(err, sql.ErrNoRows) {
		return e, errUnknownEndpoint
	}
	if err != nil {
		return e, err
	}
	e.Private, e.Primary, e.ValidFrom = priv == 1, prim == 1, time.Unix(from, 0).In(db.loc)
	if to != 0 {
		e.ValidTo = time.Unix(to, 0).In(db.loc)
	}
	return e, nil
}

// EditMapping changes a mapping's username, caller-ID password (kept
// when password is empty) and flags. Making it primary makes the
// agent's other current mappings not primary. The endpoint id and the
// agent are not edited: a phone given to another agent is a new mapping
// (AssignEndpoint), so the history stays true.
func (db *DB) EditMapping(ctx context.Context, e Endpoint) error {
	cur, err := db.Mapping(ctx, e.ID)
	if err != nil {
		return err
	}
	e.Username = strings.TrimSpace(e.Username)
	if e.Username == "" || strings.Trim(e.Username, "0123456789") != "" {
		return errMappingFields
	}
	if e.Password == "" {
		e.Password = cur.Password
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if e.Primary && cur.ValidTo.IsZero() {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE crm_endpoints SET is_primary = 0 WHERE agent_id = ? AND valid_to = 0 AND id <> ?`), cur.AgentID, cur.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`UPDATE crm_endpoints SET username = ?, password = ?, private = ?, is_primary = ? WHERE id = ?`),
			e.Username, e.Password, b2i(e.Private), b2i(e.Primary), cur.ID)
		return err
	})
}

// EndMapping ends a current mapping at at (after its start, not after
// now): from then on the phone is nobody's, and the calls before stay the
// agent's.
func (db *DB) EndMapping(ctx context.Context, id string, at, now time.Time) error {
	cur, err := db.Mapping(ctx, id)
	if err != nil {
		return err
	}
	if !cur.ValidTo.IsZero() {
		return errMappingEnded
	}
	if !at.After(cur.ValidFrom) || at.After(now) {
		return errEndDate
	}
	res, err := db.ExecContext(ctx, db.q(`UPDATE crm_endpoints SET valid_to = ?, is_primary = 0 WHERE id = ? AND valid_to = 0`), at.Unix(), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errMappingEnded // ended meanwhile
	}
	return nil
}

// RemoveMapping deletes a mapping, current or ended.
func (db *DB) RemoveMapping(ctx context.Context, id string) error {
	res, err := db.ExecContext(ctx, db.q(`DELETE FROM crm_endpoints WHERE id = ?`), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errUnknownEndpoint
	}
	return nil
}

// agentsDone redirects to the agents page with the outcome as a message
// key (translated there); an unexpected error is a 500.
func (a *App) agentsDone(w http.ResponseWriter, r *http.Request, err error, okKey string) {
	a.done(w, r, "/agents", err, okKey)
}

func (a *App) handleEditMapping() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := a.db.EditMapping(r.Context(), Endpoint{ID: r.PathValue("id"), Username: r.PostFormValue("username"), Password: r.PostFormValue("password"),
			Private: r.PostFormValue("private") != "", Primary: r.PostFormValue("primary") != ""})
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: endpoint mapping edited", "mapping", r.PathValue("id"), "by", userFrom(r.Context()).Username)
		}
		a.agentsDone(w, r, err, "mapping_saved")
	})
}

// handleEndMapping ends a mapping now, or at the form's "until" (a date
// and time on the account's wall clock).
func (a *App) handleEndMapping() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		at := now
		if v := strings.TrimSpace(r.PostFormValue("until")); v != "" {
			t, err := time.ParseInLocation("2006-01-02T15:04", v, a.cfg.Loc)
			if err != nil {
				a.agentsDone(w, r, errBadEndDate, "")
				return
			}
			at = t
		}
		err := a.db.EndMapping(r.Context(), r.PathValue("id"), at, now)
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: endpoint mapping ended", "mapping", r.PathValue("id"), "at", at, "by", userFrom(r.Context()).Username)
		}
		a.agentsDone(w, r, err, "mapping_ended")
	})
}

func (a *App) handleRemoveMapping() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := a.db.RemoveMapping(r.Context(), r.PathValue("id"))
		if err == nil {
			a.log.InfoContext(r.Context(), "crm: endpoint mapping removed", "mapping", r.PathValue("id"), "by", userFrom(r.Context()).Username)
		}
		a.agentsDone(w, r, err, "mapping_removed")
	})
}
