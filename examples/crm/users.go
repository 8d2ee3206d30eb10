package main

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/callmyway-go/sdk/cdr/sqlstore"
)

// Role is what a signed-in user may do.
type Role string

const (
	RoleAgent      Role = "agent"      // their console, customers, their own history
	RoleSupervisor Role = "supervisor" // everything read-only, across agents
	RoleAdmin      Role = "admin"      // agents, endpoint mappings and users
)

var roles = []Role{RoleAgent, RoleSupervisor, RoleAdmin}

func (r Role) valid() bool {
	for _, v := range roles {
		if r == v {
			return true
		}
	}
	return false
}

// User is a CRM account. Its password hash never leaves the store.
type User struct {
	ID, Username string
	Role         Role
	AgentID      string // the CRM agent the user acts as ("": none)
	AgentName    string
	Disabled     bool
	// SessionsFrom refuses sessions issued before it: a password reset,
	// a disable or a sign-out ends the user's sessions everywhere.
	SessionsFrom time.Time
}

// Errors of the user store; each has a translation (see userErrorKey).
var (
	errBadUsername     = errors.New("username: 1 to 64 lowercase letters, digits, '.', '-' or '_'")
	errPasswordLength  = errors.New("password: 8 to 72 characters")
	errUsernameTaken   = errors.New("username already taken")
	errBadRole         = errors.New("role must be agent, supervisor or admin")
	errUnknownAgent    = errors.New("unknown agent")
	errUnknownUser     = errors.New("unknown user")
	errLastAdmin       = errors.New("the last enabled admin cannot be disabled")
	errDisableYourself = errors.New("you cannot disable your own user")
	errLastAdminRole   = errors.New("the last enabled admin cannot lose the admin role")
)

var usernameRe = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// bcryptCost is the hashing cost (lowered by the tests).
var bcryptCost = bcrypt.DefaultCost

func hashPassword(pw string) ([]byte, error) {
	if len(pw) < 8 || len(pw) > 72 {
		return nil, errPasswordLength
	}
	return bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
}

// normUsername is how usernames are stored and looked up.
func normUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// AddUser creates a user with a role and an optional agent link.
func (db *DB) AddUser(ctx context.Context, username, password string, role Role, agentID string) (string, error) {
	username = normUsername(username)
	if !usernameRe.MatchString(username) {
		return "", errBadUsername
	}
	if !role.valid() {
		return "", errBadRole
	}
	if err := db.checkAgent(ctx, agentID); err != nil {
		return "", err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return "", err
	}
	var taken int
	if err := db.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM crm_users WHERE username = ?`), username).Scan(&taken); err != nil {
		return "", err
	}
	if taken > 0 {
		return "", errUsernameTaken
	}
	id := newID()
	_, err = db.ExecContext(ctx, db.q(`INSERT INTO crm_users (id, username, password_hash, role, agent_id, disabled, sessions_from, created_at)
		VALUES (?, ?, ?, ?, ?, 0, 0, ?)`), id, username, string(hash), string(role), agentID, time.Now().Unix())
	return id, err
}

func (db *DB) checkAgent(ctx context.Context, agentID string) error {
	if agentID == "" {
		return nil
	}
	var n int
	if err := db.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM crm_agents WHERE id = ?`), agentID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errUnknownAgent
	}
	return nil
}

const userSelect = `SELECT u.id, u.username, u.role, u.agent_id, COALESCE(a.name, ''), u.disabled, u.sessions_from
	FROM crm_users u LEFT JOIN crm_agents a ON a.id = u.agent_id`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var role string
	var disabled int
	var from int64
	if err := row.Scan(&u.ID, &u.Username, &role, &u.AgentID, &u.AgentName, &disabled, &from); err != nil {
		return u, err
	}
	u.Role, u.Disabled = Role(role), disabled == 1
	if from != 0 {
		u.SessionsFrom = time.UnixMilli(from)
	}
	return u, nil
}

// UserByID returns a user, disabled or not.
func (db *DB) UserByID(ctx context.Context, id string) (User, bool, error) {
	u, err := scanUser(db.QueryRowContext(ctx, db.q(userSelect+` WHERE u.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, false, nil
	}
	return u, err == nil, err
}

// Users lists every user by username.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.QueryContext(ctx, userSelect+` ORDER BY u.username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// dummyHash is compared against when a username does not exist, so a
// sign-in takes as long whether it exists or not.
var dummyHash = sync.OnceValues(func() ([]byte, error) {
	return bcrypt.GenerateFromPassword([]byte("no such user, no such password"), bcryptCost)
})

// Authenticate checks a username and password. A missing user, a wrong
// password and a disabled user are alike to the caller (ok is false).
func (db *DB) Authenticate(ctx context.Context, username, password string) (u User, ok bool, err error) {
	var hash string
	err = db.QueryRowContext(ctx, db.q(`SELECT password_hash FROM crm_users WHERE username = ?`), normUsername(username)).Scan(&hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		dummy, err := dummyHash()
		if err != nil {
			return User{}, false, err
		}
		_ = bcrypt.CompareHashAndPassword(dummy, []byte(password)) // equal time; always fails
		return User{}, false, nil
	case err != nil:
		return User{}, false, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return User{}, false, nil
	}
	u, err = scanUser(db.QueryRowContext(ctx, db.q(userSelect+` WHERE u.username = ?`), normUsername(username)))
	if err != nil {
		return User{}, false, err
	}
	return u, !u.Disabled, nil
}

// SetPassword replaces a user's password and ends their sessions.
func (db *DB) SetPassword(ctx context.Context, id, password string) error {
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return db.updateUser(ctx, `UPDATE crm_users SET password_hash = ?, sessions_from = ? WHERE id = ?`, string(hash), time.Now().UnixMilli(), id)
}

// SetDisabled disables (ending their sessions) or enables a user. The
// last enabled admin stays enabled.
func (db *DB) SetDisabled(ctx context.Context, id string, disabled bool) error {
	u, ok, err := db.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return errUnknownUser
	}
	if disabled && u.Role == RoleAdmin && !u.Disabled {
		n, err := db.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			return errLastAdmin
		}
	}
	return db.updateUser(ctx, `UPDATE crm_users SET disabled = ?, sessions_from = ? WHERE id = ?`, b2i(disabled), time.Now().UnixMilli(), id)
}

// EndSessions refuses every session of the user issued until now.
func (db *DB) EndSessions(ctx context.Context, id string) error {
	return db.updateUser(ctx, `UPDATE crm_users SET sessions_from = ? WHERE id = ?`, time.Now().UnixMilli(), id)
}

func (db *DB) updateUser(ctx context.Context, q string, args ...any) error {
	res, err := db.ExecContext(ctx, db.q(q), args...)
	return affected(res, err, errUnknownUser)
}

// CountAdmins counts the enabled admins.
func (db *DB) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM crm_users WHERE role = ? AND disabled = 0`), string(RoleAdmin)).Scan(&n)
	return n, err
}

// ensureUser creates the user, or gives an existing one this password,
// role and agent link and enables it (the demo's users, at every start).
func (db *DB) ensureUser(ctx context.Context, username, password string, role Role, agentID string) error {
	var id string
	err := db.QueryRowContext(ctx, db.q(`SELECT id FROM crm_users WHERE username = ?`), username).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = db.AddUser(ctx, username, password, role, agentID)
		return err
	}
	if err != nil {
		return err
	}
	if err := db.SetPassword(ctx, id, password); err != nil {
		return err
	}
	return db.updateUser(ctx, `UPDATE crm_users SET role = ?, agent_id = ?, disabled = 0 WHERE id = ?`, string(role), agentID, id)
}

// SetRole gives a user another role. The last enabled admin keeps the
// admin role: the check and the change are one statement, and on
// PostgreSQL the enabled admins' rows are locked first, so two admins
// demoting each other at once cannot leave none.
func (db *DB) SetRole(ctx context.Context, id string, role Role) error {
	if !role.valid() {
		return errBadRole
	}
	if role == RoleAdmin {
		return db.updateUser(ctx, `UPDATE crm_users SET role = ? WHERE id = ?`, string(role), id)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if db.dialect == sqlstore.Postgres {
			if _, err := tx.ExecContext(ctx, db.q(`SELECT id FROM crm_users WHERE role = ? AND disabled = 0 FOR UPDATE`), string(RoleAdmin)); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE crm_users SET role = ? WHERE id = ? AND (role <> ? OR disabled = 1
			OR (SELECT COUNT(*) FROM crm_users WHERE role = ? AND disabled = 0) > 1)`), string(role), id, string(RoleAdmin), string(RoleAdmin))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var exists int
			if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM crm_users WHERE id = ?`), id).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return errUnknownUser
			}
			return errLastAdminRole
		}
		return nil
	})
}

// SetAgent links a user to a CRM agent ("": unlinks it).
func (db *DB) SetAgent(ctx context.Context, id, agentID string) error {
	if err := db.checkAgent(ctx, agentID); err != nil {
		return err
	}
	return db.updateUser(ctx, `UPDATE crm_users SET agent_id = ? WHERE id = ?`, agentID, id)
}
