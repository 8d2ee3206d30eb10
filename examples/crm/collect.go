package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
	"github.com/callmyway-go/sdk/policy"
)

// Collections (issue 18): the contact policy checked at every dial, with
// each customer's own do-not-call flag, zone and limits; the callbacks owed
// to customers whose calls were missed; and the cost per case. Attempts,
// refusals, overrides and callbacks are the ledger's; the CRM keeps only
// the customers' policy settings (crm_customer_policy).

// Defaults of the contact policy's flags.
const (
	defaultMaxAttempts   = 3
	defaultAttemptWindow = 7 * 24 * time.Hour
	defaultCooldown      = 4 * time.Hour
	defaultCallingHours  = "07:00-20:00"
	defaultCallingDays   = "mon-sat"
	defaultCallbackSLA   = 2 * time.Hour
)

// policyFlags declares the contact policy's and the callbacks' flags on fs
// (each with an environment variable); the returned function reads them
// into cfg once fs is parsed.
func policyFlags(fs *flag.FlagSet) func(cfg *Config) error {
	maxAttempts := fs.String("max-attempts", envOr("CRM_MAX_ATTEMPTS", strconv.Itoa(defaultMaxAttempts)), "contact policy: dials per customer within -attempt-window (0: no cap)")
	window := fs.String("attempt-window", envOr("CRM_ATTEMPT_WINDOW", defaultAttemptWindow.String()), "contact policy: the rolling window of -max-attempts")
	cooldown := fs.String("cooldown", envOr("CRM_COOLDOWN", defaultCooldown.String()), "contact policy: no dial this long after a connected call (0: none)")
	hours := fs.String("calling-hours", envOr("CRM_CALLING_HOURS", defaultCallingHours), "contact policy: calling hours HH:MM-HH:MM in the customer's zone (\"\": any time)")
	days := fs.String("calling-days", envOr("CRM_CALLING_DAYS", defaultCallingDays), "contact policy: calling days, a range (mon-sat) or a list (mon,wed,fri); \"\": every day")
	sla := fs.String("callback-sla", envOr("CRM_CALLBACK_SLA", defaultCallbackSLA.String()), "a missed call's callback is due this long after it")
	queue := fs.String("callback-queue", envOr("CRM_CALLBACK_QUEUE", casefile.DefaultQueue), "the queue of callbacks whose customer has no agent")
	return func(cfg *Config) error {
		var err error
		l := policy.Limits{}
		if l.MaxAttempts, err = strconv.Atoi(*maxAttempts); err != nil || l.MaxAttempts < 0 {
			return fmt.Errorf("-max-attempts (CRM_MAX_ATTEMPTS) %q: want a number, 0 or more", *maxAttempts)
		}
		if l.Window, err = time.ParseDuration(*window); err != nil || l.Window < 0 || (l.MaxAttempts > 0 && l.Window == 0) {
			return fmt.Errorf("-attempt-window (CRM_ATTEMPT_WINDOW) %q: want a positive duration such as 168h", *window)
		}
		if l.Cooldown, err = time.ParseDuration(*cooldown); err != nil || l.Cooldown < 0 {
			return fmt.Errorf("-cooldown (CRM_COOLDOWN) %q: want a duration such as 4h", *cooldown)
		}
		if l.Hours, err = parseCallingHours(*hours, *days); err != nil {
			return err
		}
		if cfg.CallbackSLA, err = time.ParseDuration(*sla); err != nil || cfg.CallbackSLA <= 0 {
			return fmt.Errorf("-callback-sla (CRM_CALLBACK_SLA) %q: want a positive duration such as 2h", *sla)
		}
		cfg.Policy, cfg.CallbackQueue = l, strings.TrimSpace(*queue)
		return nil
	}
}

// errCallingHours is a -calling-hours or -calling-days the CRM cannot read.
var errCallingHours = errors.New("calling hours")

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseCallingHours reads "07:00-20:00" and "mon-sat" (or "mon,wed,fri")
// into policy.Hours; empty hours are no calling hours.
func parseCallingHours(hours, days string) (policy.Hours, error) {
	var h policy.Hours
	hours = strings.TrimSpace(hours)
	if hours == "" {
		return h, nil
	}
	from, to, ok := strings.Cut(hours, "-")
	start, err1 := clockTime(from)
	end, err2 := clockTime(to)
	if !ok || err1 != nil || err2 != nil || end <= start {
		return h, fmt.Errorf("%w: -calling-hours (CRM_CALLING_HOURS) %q: want HH:MM-HH:MM, the end after the start", errCallingHours, hours)
	}
	h.Start, h.End = start, end
	days = strings.ToLower(strings.TrimSpace(days))
	if days == "" {
		return h, nil
	}
	day := func(s string) (time.Weekday, error) {
		if i := slices.Index(weekdays, strings.TrimSpace(s)); i >= 0 {
			return time.Weekday(i), nil
		}
		return 0, fmt.Errorf("%w: -calling-days (CRM_CALLING_DAYS) %q: want sun..sat, as mon-sat or mon,wed,fri", errCallingHours, days)
	}
	if a, b, isRange := strings.Cut(days, "-"); isRange {
		first, err := day(a)
		if err != nil {
			return h, err
		}
		last, err := day(b)
		if err != nil {
			return h, err
		}
		for d := first; ; d = (d + 1) % 7 {
			h.Days = append(h.Days, d)
			if d == last {
				break
			}
		}
		return h, nil
	}
	for s := range strings.SplitSeq(days, ",") {
		d, err := day(s)
		if err != nil {
			return h, err
		}
		if !slices.Contains(h.Days, d) {
			h.Days = append(h.Days, d)
		}
	}
	return h, nil
}

// clockTime reads "HH:MM" (24:00 is the end of the day).
func clockTime(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, errCallingHours
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// CustomerPolicy is what the CRM keeps of a customer for the contact
// policy: do not call at all, the customer's own zone, and limits of its
// own (-1: the account's). It is a plain value, safe to copy and to read
// concurrently. Its zero value is not "no settings": its limits of 0 lift
// the account's cap and cool-down for the customer, so a customer without
// settings is noCustomerPolicy.
type CustomerPolicy struct {
	DoNotCall     bool
	Zone          string // an IANA zone ("": the number's)
	MaxAttempts   int    // -1: the account's
	WindowDays    int    // -1: the account's
	CooldownHours int    // -1: the account's
}

// noCustomerPolicy is a customer with no settings of its own.
var noCustomerPolicy = CustomerPolicy{MaxAttempts: -1, WindowDays: -1, CooldownHours: -1}

// Errors of the customer's policy form.
var (
	errBadZone   = errors.New("unknown time zone")
	errBadLimit  = errors.New("a limit must be a whole number, 0 or more, or empty")
	errNoOverAgt = errors.New("only supervisors and admins may override the contact policy")
	errNoReason  = errors.New("an override needs a reason")
	errNoCB      = errors.New("no such callback: it was returned or dismissed")
)

// CustomerPolicy returns a customer's settings (noCustomerPolicy when
// none were saved).
func (db *DB) CustomerPolicy(ctx context.Context, customerID string) (CustomerPolicy, error) {
	p := noCustomerPolicy
	var dnc int
	err := db.QueryRowContext(ctx, db.q(`SELECT do_not_call, zone, max_attempts, window_days, cooldown_hours FROM crm_customer_policy WHERE customer_id = ?`),
		customerID).Scan(&dnc, &p.Zone, &p.MaxAttempts, &p.WindowDays, &p.CooldownHours)
	if errors.Is(err, sql.ErrNoRows) {
		return noCustomerPolicy, nil
	}
	p.DoNotCall = dnc != 0
	return p, err
}

// SetCustomerPolicy saves a customer's settings.
func (db *DB) SetCustomerPolicy(ctx context.Context, customerID string, p CustomerPolicy, by string) error {
	if p.Zone != "" {
		if _, err := time.LoadLocation(p.Zone); err != nil || p.Zone == "Local" {
			return fmt.Errorf("%w %q", errBadZone, p.Zone)
		}
	}
	if _, ok, err := db.Customer(ctx, customerID); err != nil || !ok {
		return cmp.Or(err, errUnknownCustomer)
	}
	dnc := 0
	if p.DoNotCall {
		dnc = 1
	}
	_, err := db.ExecContext(ctx, db.q(`INSERT INTO crm_customer_policy (customer_id, do_not_call, zone, max_attempts, window_days, cooldown_hours, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET do_not_call = excluded.do_not_call, zone = excluded.zone,
		max_attempts = excluded.max_attempts, window_days = excluded.window_days, cooldown_hours = excluded.cooldown_hours,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`),
		customerID, dnc, p.Zone, p.MaxAttempts, p.WindowDays, p.CooldownHours, by, time.Now().UnixMilli())
	return err
}

// customerOf finds the CRM customer a policy subject or a caller is:
// the case (the customer id), else the contact's customer, else the one
// customer whose contact has the number ("" when none or several).
func (db *DB) customerOf(ctx context.Context, caseID, contact, number string) (string, error) {
	ids, err := db.customersOf(ctx, []callerRef{{Case: caseID, Contact: contact, Number: number}})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// callerRef is what a callback or a policy subject says of who the caller
// is: the case, the contact, the number (any may be empty). A plain value.
type callerRef struct{ Case, Contact, Number string }

// customersOf is customerOf for many callers at once, in a fixed number
// of batched queries (contacts by id, then by number), never one per
// caller: ids[i] is refs[i]'s customer, "" when none.
func (db *DB) customersOf(ctx context.Context, refs []callerRef) ([]string, error) {
	ids := make([]string, len(refs))
	var contacts []string
	for _, r := range refs {
		if r.Case == "" && r.Contact != "" {
			contacts = append(contacts, r.Contact)
		}
	}
	byID, err := db.ContactsByID(ctx, uniq(contacts))
	if err != nil {
		return nil, err
	}
	var numbers []string
	for i, r := range refs {
		switch c, ok := byID[r.Contact]; {
		case r.Case != "":
			ids[i] = r.Case
		case r.Contact != "" && ok:
			ids[i] = c.CustomerID
		case r.Number != "":
			numbers = append(numbers, r.Number)
		}
	}
	byNumber, err := db.ContactsByNumber(ctx, uniq(numbers))
	if err != nil {
		return nil, err
	}
	for i, r := range refs {
		if ids[i] != "" || r.Number == "" { // found by case or contact, or no number
			continue
		}
		cust := ""
		for _, c := range byNumber[r.Number] {
			if cust != "" && c.CustomerID != cust {
				cust = ""
				break
			}
			cust = c.CustomerID
		}
		ids[i] = cust
	}
	return ids, nil
}

// policyCustomers is policy.Customers over the CRM's tables. It is safe
// for concurrent use (it only reads the database).
type policyCustomers struct {
	db   *DB
	base policy.Limits // the account's limits, which a customer's own replace in part
}

// Customer implements policy.Customers.
func (pc policyCustomers) Customer(ctx context.Context, s policy.Subject) (policy.Customer, error) {
	id, err := pc.db.customerOf(ctx, s.Case, s.Contact, s.Number)
	if err != nil || id == "" {
		return policy.Customer{}, err
	}
	p, err := pc.db.CustomerPolicy(ctx, id)
	if err != nil {
		return policy.Customer{}, err
	}
	return p.customer(pc.base)
}

// customer is p as the policy wants it: limits of its own are the
// account's with the customer's values in place. A zone saved once but
// unknown to this machine's time zone database is an error: the policy
// must not check calling hours in another zone.
func (p CustomerPolicy) customer(base policy.Limits) (policy.Customer, error) {
	c := policy.Customer{DoNotCall: p.DoNotCall}
	if p.Zone != "" {
		loc, err := time.LoadLocation(p.Zone)
		if err != nil {
			return c, fmt.Errorf("%w %q: %w", errBadZone, p.Zone, err)
		}
		c.Zone = loc
	}
	if p.MaxAttempts >= 0 || p.WindowDays >= 0 || p.CooldownHours >= 0 {
		l := base
		if p.MaxAttempts >= 0 {
			l.MaxAttempts = p.MaxAttempts
		}
		if p.WindowDays > 0 {
			l.Window = time.Duration(p.WindowDays) * 24 * time.Hour
		}
		if p.CooldownHours >= 0 {
			l.Cooldown = time.Duration(p.CooldownHours) * time.Hour
		}
		if l.MaxAttempts > 0 && l.Window == 0 {
			l.Window = defaultAttemptWindow
		}
		c.Limits = &l
	}
	return c, nil
}

// callbackOwners is casefile.Owners over the CRM: a callback belongs to
// the CRM user acting as the agent who last talked with the customer
// (the latest connected call of the case), else to the callbacks queue.
// It is safe for concurrent use.
type callbackOwners struct{ a *App }

// ownerWindow is how far back the owner of a callback is looked for.
const ownerWindow = 90 * 24 * time.Hour

// Owner implements casefile.Owners.
func (o callbackOwners) Owner(ctx context.Context, c casefile.Caller) (casefile.Owner, error) {
	a := o.a
	id, err := a.db.customerOf(ctx, c.Case, c.Contact, c.Number)
	if err != nil || id == "" {
		return casefile.Owner{}, err
	}
	now := a.clock()
	var last calls.Call
	for cl, err := range a.ledger.Calls(ctx, calls.Query{Case: id, From: now.Add(-ownerWindow), To: now.Add(time.Hour)}) {
		if err != nil {
			return casefile.Owner{}, err
		}
		if !cl.Connect.IsZero() && cl.Connect.After(last.Connect) {
			last = cl
		}
	}
	if last.ID == "" {
		return casefile.Owner{}, nil
	}
	agentID, err := a.agentOfPhone(ctx, last.Agent)
	if err != nil || agentID == "" {
		return casefile.Owner{}, err
	}
	users, err := a.db.Users(ctx)
	if err != nil {
		return casefile.Owner{}, err
	}
	for _, u := range users {
		if u.AgentID == agentID && !u.Disabled {
			return casefile.Owner{Agent: u.ID}, nil
		}
	}
	return casefile.Owner{}, nil
}

// agentOfPhone is the CRM agent a CallMyWay phone is (or was) mapped to.
func (a *App) agentOfPhone(ctx context.Context, ep callmyway.Endpoint) (string, error) {
	agents, err := a.db.Agents(ctx)
	if err != nil {
		return "", err
	}
	for _, ag := range agents {
		for _, e := range append(ag.History, ag.Endpoints...) {
			if (ep.ID != "" && e.EndpointID == ep.ID) || (ep.User != "" && e.Username == ep.User) {
				return ag.ID, nil
			}
		}
	}
	return "", nil
}

// wirePolicy builds the contact policy and the callbacks over the ledger
// (NewApp calls it before the Dialer).
func (a *App) wirePolicy() error {
	var err error
	if a.policy, err = policy.New(a.client.Account(), a.ledger, a.cfg.Policy,
		policy.WithCustomers(policyCustomers{db: a.db, base: a.cfg.Policy})); err != nil {
		return err
	}
	sla := cmp.Or(a.cfg.CallbackSLA, defaultCallbackSLA)
	a.callbacks, err = casefile.NewCallbacks(a.ledger, sla, casefile.WithOwners(callbackOwners{a}),
		casefile.WithQueue(cmp.Or(a.cfg.CallbackQueue, casefile.DefaultQueue)))
	a.cache = &caches{}
	return err
}

// Refusal is a dial the contact policy refused, as a page shows it: the
// translated sentence naming the rule and when the next attempt is
// allowed, and what the override form posts again. A plain value.
type Refusal struct {
	Text        string
	Rule        string
	Next        string // the next allowed time, the account's wall clock ("" never)
	CanOverride bool   // the reader is a supervisor or admin
	Number      string
	ContactID   string
	CallerID    string
	CustomerID  string
}

// refusalText is a refusal in language l: the rule and the next allowed
// time in the account's zone.
func (a *App) refusalText(l string, rule policy.Rule, next time.Time) string {
	key := "refused_" + string(rule)
	if _, ok := messages[key]; !ok {
		key = "refused_other"
	}
	if next.IsZero() {
		return translate(l, key) + " " + translate(l, "refused_never")
	}
	return translate(l, key) + " " + fmt.Sprintf(translate(l, "refused_next"), a.when(next.In(a.cfg.Loc)))
}

// canOverride reports whether u may override the contact policy.
func canOverride(u User) bool { return u.Role == RoleSupervisor || u.Role == RoleAdmin }

// answerRefusal answers a refused dial: JSON for the console (the
// sentence, the rule, the next time, whether the reader may override),
// else back to the page with the refusal in the URL (read by
// refusalFromURL, which recomputes nothing it cannot check).
func (a *App) answerRefusal(w http.ResponseWriter, r *http.Request, re *policy.RefusalError, back string) {
	l := lang(r)
	u := userFrom(r.Context())
	if r.Header.Get("Accept") == "application/json" {
		next := ""
		if !re.NextAllowed.IsZero() {
			next = re.NextAllowed.In(a.cfg.Loc).Format(time.RFC3339)
		}
		writeJSON(w, http.StatusConflict, map[string]any{"error": a.refusalText(l, re.Rule, re.NextAllowed), "refused": true,
			"rule": string(re.Rule), "next_allowed": next, "can_override": canOverride(u)})
		return
	}
	q := url.Values{"refused": {string(re.Rule)}}
	if !re.NextAllowed.IsZero() {
		q.Set("next", strconv.FormatInt(re.NextAllowed.Unix(), 10))
	}
	num, contact := r.PostFormValue("number"), r.PostFormValue("contact_id")
	if v := r.PostFormValue("dial"); v != "" {
		contact, num, _ = strings.Cut(v, " ")
	}
	q.Set("number", num)
	if contact != "" {
		q.Set("contact_id", contact)
	}
	if c := r.PostFormValue("caller_id"); c != "" {
		q.Set("caller_id", c)
	}
	http.Redirect(w, r, back+"?"+q.Encode(), http.StatusSeeOther)
}

// refusalFromURL is the refusal a page was sent back with (nil: none).
// Only a known rule is shown; the number and contact go back into the
// override form as they came.
func (a *App) refusalFromURL(r *http.Request) *Refusal {
	q := r.URL.Query()
	rule := policy.Rule(q.Get("refused"))
	switch rule {
	case policy.RuleDoNotCall, policy.RuleCallingHours, policy.RuleCooldown, policy.RuleMaxAttempts:
	default:
		return nil
	}
	var next time.Time
	if s := q.Get("next"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil
		}
		next = time.Unix(n, 0)
	}
	u := userFrom(r.Context())
	ref := &Refusal{Text: a.refusalText(lang(r), rule, next), Rule: string(rule), CanOverride: canOverride(u) && u.AgentID != "",
		Number: q.Get("number"), ContactID: q.Get("contact_id"), CallerID: q.Get("caller_id"), CustomerID: r.PathValue("id")}
	if !next.IsZero() {
		ref.Next = a.when(next.In(a.cfg.Loc))
	}
	return ref
}

// override is the dial's override of the contact policy, from the form's
// override_reason: only a supervisor or an admin may give one.
func override(r *http.Request) (by, reason string, err error) {
	reason = strings.TrimSpace(r.PostFormValue("override_reason"))
	if r.PostFormValue("override") == "" && reason == "" {
		return "", "", nil
	}
	u := userFrom(r.Context())
	if !canOverride(u) {
		return "", "", errNoOverAgt
	}
	if reason == "" {
		return "", "", errNoReason
	}
	return u.ID, reason, nil
}

// readCustomerPolicy reads the case file's policy form.
func readCustomerPolicy(r *http.Request) (CustomerPolicy, error) {
	p := noCustomerPolicy
	p.DoNotCall = r.PostFormValue("do_not_call") == "1"
	p.Zone = strings.TrimSpace(r.PostFormValue("zone"))
	for _, f := range []struct {
		name string
		to   *int
	}{{"max_attempts", &p.MaxAttempts}, {"window_days", &p.WindowDays}, {"cooldown_hours", &p.CooldownHours}} {
		s := strings.TrimSpace(r.PostFormValue(f.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 10000 {
			return p, fmt.Errorf("%w: %s %q", errBadLimit, f.name, s)
		}
		*f.to = n
	}
	return p, nil
}

// handleCustomerPolicy is POST /customers/{id}/policy: do-not-call, zone
// and limits (agents and admins).
func (a *App) handleCustomerPolicy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readCustomerPolicy(r)
		if err == nil {
			err = a.db.SetCustomerPolicy(r.Context(), r.PathValue("id"), p, userFrom(r.Context()).ID)
		}
		a.caseDone(w, r, err, "policy_saved", caseForm{Action: "policy"})
	})
}
