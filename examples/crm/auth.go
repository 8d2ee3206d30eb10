package main

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"
)

// Sessions are signed cookies: "v1.<payload>.<mac>", the payload being
// base64url("<user id>|<issued, Unix ms>|<expires, Unix s>") and the mac
// base64url(HMAC-SHA256(key, "v1.<payload>")). Nothing is kept on the
// server; a user's SessionsFrom ends their older sessions.
const (
	sessionCookie = "crm_session"
	sessionTTL    = 12 * time.Hour
)

var errBadSession = errors.New("invalid or expired session")

type sessions struct {
	key    []byte
	ttl    time.Duration
	secure bool // Secure cookies (the CRM is served over HTTPS)
	now    func() time.Time
}

func (s *sessions) mac(data string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue returns a session cookie for the user.
func (s *sessions) issue(userID string) *http.Cookie {
	now := s.now()
	exp := now.Add(s.ttl)
	payload := base64.RawURLEncoding.EncodeToString([]byte(userID + "|" + strconv.FormatInt(now.UnixMilli(), 10) + "|" + strconv.FormatInt(exp.Unix(), 10)))
	signed := "v1." + payload
	return &http.Cookie{Name: sessionCookie, Value: signed + "." + s.mac(signed), Path: "/", Expires: exp, MaxAge: int(s.ttl / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

// clear returns a cookie that deletes the session.
func (s *sessions) clear() *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

// parse checks a session cookie's signature and expiry.
func (s *sessions) parse(value string) (userID string, issued time.Time, err error) {
	i := strings.LastIndexByte(value, '.')
	if i < 0 || !strings.HasPrefix(value, "v1.") || !hmac.Equal([]byte(value[i+1:]), []byte(s.mac(value[:i]))) {
		return "", time.Time{}, errBadSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(value[len("v1."):i])
	if err != nil {
		return "", time.Time{}, errBadSession
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] == "" {
		return "", time.Time{}, errBadSession
	}
	iss, err1 := strconv.ParseInt(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || !s.now().Before(time.Unix(exp, 0)) {
		return "", time.Time{}, errBadSession
	}
	return parts[0], time.UnixMilli(iss), nil
}

// loginLimiter refuses sign-ins after repeated failures, per username
// and per client address. Only failures spend tokens. It is safe for
// concurrent use; its zero value is not: get one from newLoginLimiter.
//
// Its memory is bounded with O(1) amortised work per failure. The keys of
// existing users are never evicted (they are as many as the users), so a
// flood of other failures cannot reset a real user's count. The others,
// client addresses and usernames that do not exist, are capped at
// maxLoginKeys: beyond, the one that failed least recently is forgotten.
// Each list is kept in the order of the last failure, and each new key
// first drops the keys at the front whose tokens have all come back (a
// key with a full bucket is the same as no key). A made-up username is
// limited like a real one, so the answers never tell whether a user
// exists; only a flood of maxLoginKeys other failures, within the 5
// minutes a username's tokens take to come back, could make a made-up
// name's count be forgotten early (and cost the flooder those failures
// at the per-address limit).
type loginLimiter struct {
	mu     sync.Mutex
	keys   map[string]*list.Element // of users or others; Value is a *loginKey
	users  *list.List               // keys of existing users, least recently failed first
	others *list.List               // addresses and unknown usernames, likewise; at most maxLoginKeys
	now    func() time.Time
}

// loginKey is one key's limiter.
type loginKey struct {
	key   string
	lim   *rate.Limiter
	known bool // an existing user's: in users, never evicted
}

// maxLoginKeys caps the keys of client addresses and unknown usernames.
const maxLoginKeys = 10000

var (
	userLimit = struct {
		every time.Duration
		burst int
	}{time.Minute, 5} // 5 failures, then one try a minute
	ipLimit = struct {
		every time.Duration
		burst int
	}{10 * time.Second, 20} // an office behind one address gets more
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{keys: map[string]*list.Element{}, users: list.New(), others: list.New(), now: time.Now}
}

func (l *loginLimiter) userKey(username string) string { return "user:" + normUsername(username) }

// touch returns key's limiter, moved to the back of its list (the most
// recent failure), created if new. known says the key is an existing
// user's.
func (l *loginLimiter) touch(key string, known bool) *rate.Limiter {
	if e, ok := l.keys[key]; ok {
		k := e.Value.(*loginKey)
		if k.known == known {
			l.listOf(known).MoveToBack(e)
			return k.lim
		}
		// The user was created or deleted meanwhile: change lists,
		// keeping the count.
		l.listOf(k.known).Remove(e)
		k.known = known
		l.keys[key] = l.listOf(known).PushBack(k)
		return k.lim
	}
	now := l.now()
	for _, li := range []*list.List{l.users, l.others} {
		for e := li.Front(); e != nil && l.full(e, now); e = li.Front() {
			l.remove(e)
		}
	}
	if !known && l.others.Len() >= maxLoginKeys {
		l.remove(l.others.Front())
	}
	lim := rate.NewLimiter(rate.Every(ipLimit.every), ipLimit.burst)
	if strings.HasPrefix(key, "user:") {
		lim = rate.NewLimiter(rate.Every(userLimit.every), userLimit.burst)
	}
	l.keys[key] = l.listOf(known).PushBack(&loginKey{key: key, lim: lim, known: known})
	return lim
}

func (l *loginLimiter) listOf(known bool) *list.List {
	if known {
		return l.users
	}
	return l.others
}

// full reports whether e's tokens have all come back: it can be dropped.
func (l *loginLimiter) full(e *list.Element, now time.Time) bool {
	lim := e.Value.(*loginKey).lim
	return lim.TokensAt(now) >= float64(lim.Burst())
}

func (l *loginLimiter) remove(e *list.Element) {
	k := e.Value.(*loginKey)
	l.listOf(k.known).Remove(e)
	delete(l.keys, k.key)
}

// blocked reports whether the username or the address has no tries left.
func (l *loginLimiter) blocked(username, ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range []string{l.userKey(username), "ip:" + ip} {
		if e, ok := l.keys[k]; ok && e.Value.(*loginKey).lim.TokensAt(now) < 1 {
			return true
		}
	}
	return false
}

// failed spends a try of the username and of the address. known says the
// username is an existing user's.
func (l *loginLimiter) failed(username, ip string, known bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.touch(l.userKey(username), known).AllowN(now, 1)
	l.touch("ip:"+ip, false).AllowN(now, 1)
}

// succeeded forgets the username's failures.
func (l *loginLimiter) succeeded(username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.keys[l.userKey(username)]; ok {
		l.remove(e)
	}
}

// userExists reports whether a user (enabled or not) has this username,
// for the sign-in limiter. It is asked after every failed sign-in, whether
// the user exists or not, so it adds the same time to both.
func (db *DB) userExists(ctx context.Context, username string) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, db.q(`SELECT 1 FROM crm_users WHERE username = ?`), normUsername(username)).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("crm: looking up a username: %w", err)
	}
	return true, nil
}

// clientIP is the request's peer address (a reverse proxy's, if any).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rule says who may use a route. Every route but the login page, the
// webhook and the static files is wrapped by App.guard with one.
type rule struct {
	api   bool   // answers 401/403 in JSON (pages redirect to /login)
	roles []Role // empty: any signed-in user
	agent bool   // the user must be linked to a CRM agent (console, dial, pops)
}

func page(roles ...Role) rule { return rule{roles: roles} }
func api(roles ...Role) rule  { return rule{api: true, roles: roles} }
func (r rule) asAgent() rule  { r.agent = true; return r }
func (r rule) allows(u User) bool {
	return len(r.roles) == 0 || slices.Contains(r.roles, u.Role)
}

type userKey struct{}

// userFrom returns the signed-in user of a guarded request.
func userFrom(ctx context.Context) User {
	u, _ := ctx.Value(userKey{}).(User)
	return u
}

// currentUser returns the user of the request's session, if it is valid:
// signed with our key, not expired, of an enabled user, issued after the
// user's SessionsFrom.
func (a *App) currentUser(r *http.Request) (User, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return User{}, false, nil
	}
	id, issued, err := a.sessions.parse(c.Value)
	if err != nil {
		return User{}, false, nil
	}
	u, ok, err := a.db.UserByID(r.Context(), id)
	if err != nil || !ok || u.Disabled || issued.Before(u.SessionsFrom) {
		return User{}, false, err
	}
	return u, true, nil
}

// guard is the one middleware for sign-in and roles: the handler runs
// for a signed-in user its rule allows, with the user in the context.
// Without a session, pages redirect to /login and APIs answer 401; a
// role the rule does not allow gets 403.
func (a *App) guard(ru rule, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := a.currentUser(r)
		if a.fail(w, err) {
			return
		}
		jsonWanted := ru.api || strings.Contains(r.Header.Get("Accept"), "application/json")
		if !ok {
			if jsonWanted {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": translate(lang(r), "sign_in_required")})
				return
			}
			to := "/login"
			if r.Method == http.MethodGet {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		why := ""
		switch {
		case !ru.allows(u):
			why = "forbidden"
		case ru.agent && u.AgentID == "":
			why = "no_agent"
		}
		if why != "" {
			if jsonWanted {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": translate(lang(r), why)})
				return
			}
			a.render(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)), http.StatusForbidden, "error", &errorView{Msg: translate(lang(r), why)})
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// safeNext keeps a post-login redirect on this site: a path starting
// with one "/", without backslashes or control characters (browsers drop
// tabs and line breaks from URLs, so "/\t/evil.example" would leave the
// site).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/login") ||
		strings.ContainsRune(next, '\\') || strings.IndexFunc(next, unicode.IsControl) >= 0 {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// handleLoginPage shows the sign-in form.
func (a *App) handleLoginPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok, err := a.currentUser(r); a.fail(w, err) {
			return
		} else if ok {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
		a.render(w, r, http.StatusOK, "login", &loginView{Next: safeNext(r.URL.Query().Get("next"))})
	})
}

// handleLogin checks the credentials, rate-limited per username and per
// client address, and starts a session. The answer never tells whether
// the username exists; the password is never logged or echoed.
func (a *App) handleLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		username, password := normUsername(r.PostFormValue("username")), r.PostFormValue("password")
		next, ip := safeNext(r.PostFormValue("next")), clientIP(r)
		again := func(status int, key string) {
			a.render(w, r, status, "login", &loginView{Next: next, Username: username, Msg: translate(lang(r), key)})
		}
		if a.logins.blocked(username, ip) {
			a.log.WarnContext(r.Context(), "crm: sign-in refused: too many failures", "ip", ip)
			again(http.StatusTooManyRequests, "too_many_logins")
			return
		}
		u, ok, err := a.db.Authenticate(r.Context(), username, password)
		if a.fail(w, err) {
			return
		}
		if !ok {
			// Existing users' counts are kept apart from made-up names'
			// (see loginLimiter); asked for every failure alike.
			known, err := a.db.userExists(r.Context(), username)
			if a.fail(w, err) {
				return
			}
			// The username is not logged: people type passwords into it.
			a.logins.failed(username, ip, known)
			a.log.InfoContext(r.Context(), "crm: sign-in failed", "ip", ip)
			again(http.StatusUnauthorized, "bad_login")
			return
		}
		a.logins.succeeded(username)
		a.log.InfoContext(r.Context(), "crm: signed in", "user", u.Username, "role", string(u.Role), "ip", ip)
		http.SetCookie(w, a.sessions.issue(u.ID))
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

// handleLogout ends the user's sessions and clears the cookie.
func (a *App) handleLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := a.currentUser(r)
		if a.fail(w, err) {
			return
		}
		if ok {
			if err := a.db.EndSessions(r.Context(), u.ID); a.fail(w, err) {
				return
			}
		}
		http.SetCookie(w, a.sessions.clear())
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
}
