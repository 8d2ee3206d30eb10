package homologation

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// Verdict is a scenario's result.
//
// The zero Verdict is empty (not run). It is a plain value, safe to copy
// and to share concurrently.
type Verdict string

// Verdicts.
const (
	Pass Verdict = "PASS"
	Fail Verdict = "FAIL"
	Skip Verdict = "SKIP" // the Target lacks what the scenario needs; the reason says what
)

// Sent is one webhook delivery of a scenario: what the fake sent and what
// the CRM answered.
//
// The zero Sent is no delivery. It is a plain value, safe to copy and to
// share concurrently.
type Sent struct {
	At         time.Time `json:"at"` // on the fake's clock
	Action     string    `json:"action"`
	CallID     string    `json:"callid"`
	Attempt    int       `json:"attempt"`
	Redelivery bool      `json:"redelivery,omitempty"`
	Lost       bool      `json:"lost,omitempty"` // swallowed by an outage: never reached the CRM
	Body       string    `json:"body"`
	Status     int       `json:"status"` // the CRM's HTTP status (0: none)
	Answer     string    `json:"answer,omitempty"`
	Err        string    `json:"error,omitempty"`
}

// LedgerRead is one read of the CRM's ledger: the request and the answer.
//
// The zero LedgerRead is no read. It is a plain value, safe to copy and to
// share concurrently.
type LedgerRead struct {
	Request string          `json:"request"`
	Status  int             `json:"status"`
	Body    json.RawMessage `json:"body,omitempty"` // the JSON answer
	Text    string          `json:"text,omitempty"` // a non-JSON or very long answer, cut
	Err     string          `json:"error,omitempty"`
}

// Result is one scenario's verdict and its evidence.
//
// The zero Result is a scenario not run. It is a plain value, safe to copy
// and to share concurrently (do not modify its slices).
type Result struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Knob     string        `json:"knob"` // the cmwtest knob the scenario turns
	Verdict  Verdict       `json:"verdict"`
	Reason   string        `json:"reason"`
	Duration time.Duration `json:"duration_ns"`
	// ProviderAhead is how far the fake's clock ran ahead of real time
	// when the scenario ended (scenarios jump it forward).
	ProviderAhead time.Duration `json:"provider_ahead_ns"`
	Steps         []string      `json:"steps,omitempty"` // what the runner did, in order
	Sent          []Sent        `json:"sent"`
	Ledger        []LedgerRead  `json:"ledger"`
}

// Report is a certification run: who, when, against what, and every
// scenario's result. It never holds the account's password.
//
// The zero Report is an empty report. It is a plain value, safe to copy
// and to share concurrently (do not modify its slices).
type Report struct {
	SDKVersion string    `json:"sdk_version"`
	Date       time.Time `json:"date"`
	Account    string    `json:"account"` // the CallMyWay username
	Zone       string    `json:"zone"`    // the account's time zone
	Region     string    `json:"region"`
	ServerZone string    `json:"server_zone"` // the runner machine's zone
	Target     string    `json:"target"`
	Webhook    string    `json:"webhook"` // its token redacted
	Ledger     string    `json:"ledger"`
	// Hooks is the CRM's hooks URL (RemoteHooks), redacted; empty when
	// the hooks were Go functions or absent.
	Hooks string `json:"hooks,omitempty"`
	// Fake is the URL of the fake CallMyWay the run drove; empty with
	// Live.
	Fake string `json:"fake"`
	// Live is true for a run against the real CallMyWay account (cmw
	// homologate -live), where no fake took part.
	Live    bool     `json:"live,omitempty"`
	Results []Result `json:"results"`
}

// NewReport starts an empty report for a run against target with acct:
// the SDK version, the date (now, UTC, to the second), the account's
// username, zone and region, and this machine's zone. Run fills one
// itself; programs that certify by other means (cmw homologate -live) add
// their Results to one.
func NewReport(acct callmyway.Account, target string) *Report {
	zone := "UTC"
	if acct.Location != nil {
		zone = acct.Location.String()
	}
	return &Report{SDKVersion: SDKVersion(), Date: time.Now().UTC().Truncate(time.Second), Account: acct.Username, Zone: zone,
		Region: acct.Region, ServerZone: localZone(), Target: target}
}

// localZone names this machine's zone and its offset now.
func localZone() string {
	name, off := time.Now().Zone()
	local := time.Local.String()
	if local == "Local" {
		local = name
	}
	return fmt.Sprintf("%s (UTC%+03d:%02d)", local, off/3600, abs(off%3600)/60)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Count returns how many results have verdict v.
func (r *Report) Count(v Verdict) int {
	n := 0
	for _, x := range r.Results {
		if x.Verdict == v {
			n++
		}
	}
	return n
}

// Passed reports whether every scenario run passed (none failed or was
// skipped) and there was at least one.
func (r *Report) Passed() bool {
	return len(r.Results) > 0 && r.Count(Pass) == len(r.Results)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJUnit writes the report as JUnit XML: one testsuite, one testcase
// per scenario, a failure or skipped element with the reason, and the
// evidence as the case's system-out.
func (r *Report) WriteJUnit(w io.Writer) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type property struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	type testsuite struct {
		XMLName    xml.Name   `xml:"testsuite"`
		Name       string     `xml:"name,attr"`
		Tests      int        `xml:"tests,attr"`
		Failures   int        `xml:"failures,attr"`
		Skipped    int        `xml:"skipped,attr"`
		Timestamp  string     `xml:"timestamp,attr"`
		Properties []property `xml:"properties>property"`
		Cases      []testcase `xml:"testcase"`
	}
	s := testsuite{Name: "CallMyWay homologation: " + r.Target, Tests: len(r.Results), Failures: r.Count(Fail), Skipped: r.Count(Skip),
		Timestamp: r.Date.UTC().Format("2006-01-02T15:04:05"),
		Properties: []property{{"sdk_version", r.SDKVersion}, {"account", r.Account}, {"zone", r.Zone}, {"region", r.Region},
			{"server_zone", r.ServerZone}, {"webhook", r.Webhook}, {"ledger", r.Ledger}}}
	if r.Hooks != "" {
		s.Properties = append(s.Properties, property{"hooks", r.Hooks})
	}
	if r.Live {
		s.Properties = append(s.Properties, property{"callmyway", "live"})
	}
	for _, x := range r.Results {
		c := testcase{Name: x.ID + ": " + x.Name, Classname: "homologation", Time: fmt.Sprintf("%.3f", x.Duration.Seconds())}
		switch x.Verdict {
		case Fail:
			c.Failure = &failure{Message: x.Reason, Text: x.Reason}
		case Skip:
			c.Skipped = &skipped{Message: x.Reason}
		}
		ev, err := json.MarshalIndent(struct {
			Steps  []string     `json:"steps,omitempty"`
			Sent   []Sent       `json:"sent"`
			Ledger []LedgerRead `json:"ledger"`
		}{x.Steps, x.Sent, x.Ledger}, "", "  ")
		if err != nil {
			return err
		}
		c.SystemOut = string(ev)
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteHTML writes the report as one self-contained HTML page for the
// person signing off: the summary, then each scenario with its verdict,
// reason and evidence.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportPage.Execute(w, r)
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": func(v Verdict) string { return strings.ToLower(string(v)) },
	"json": func(v any) string {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err.Error()
		}
		return string(b)
	},
	"secs": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"ts":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>CallMyWay homologation — {{.Target}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.pass{color:#176b2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}.skip{color:#8a6d00;font-weight:bold}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem;font-size:.8rem}
details{margin:.3rem 0 1.2rem}summary{cursor:pointer}
.sign{margin-top:3rem;border-top:1px solid #999;padding-top:1rem}
</style></head><body>
<h1>CallMyWay homologation certificate</h1>
<table>
<tr><th>CRM</th><td>{{.Target}}</td></tr>
<tr><th>Result</th><td>{{if .Passed}}<span class="pass">PASSED</span>{{else}}<span class="fail">NOT PASSED</span>{{end}}: {{.Count "PASS"}} passed, {{.Count "FAIL"}} failed, {{.Count "SKIP"}} skipped of {{len .Results}}</td></tr>
<tr><th>SDK version</th><td>{{.SDKVersion}}</td></tr>
<tr><th>Date</th><td>{{ts .Date}}</td></tr>
<tr><th>Account</th><td>{{.Account}} (zone {{.Zone}}, region {{.Region}}); the runner's zone {{.ServerZone}}</td></tr>
{{with .Webhook}}<tr><th>Webhook</th><td>{{.}}</td></tr>
{{end}}{{with .Ledger}}<tr><th>Ledger</th><td>{{.}}</td></tr>
{{end}}{{with .Hooks}}<tr><th>Hooks</th><td>{{.}}</td></tr>
{{end}}<tr><th>CallMyWay</th><td>{{if .Live}}the live CallMyWay account (no fake){{else}}the SDK's fake (cmwtest) at {{.Fake}}{{end}}</td></tr>
</table>
<h2>Scenarios</h2>
<table><tr><th>#</th><th>Scenario</th><th>Verdict</th><th>Reason</th><th>Time</th></tr>
{{range $i, $r := .Results}}<tr><td>{{$i}}</td><td><a href="#{{$r.ID}}">{{$r.Name}}</a></td><td class="{{lower $r.Verdict}}">{{$r.Verdict}}</td><td>{{$r.Reason}}</td><td>{{secs $r.Duration}}</td></tr>
{{end}}</table>
{{range .Results}}
<h3 id="{{.ID}}">{{.Name}} — <span class="{{lower .Verdict}}">{{.Verdict}}</span></h3>
<p><b>Knob:</b> <code>{{.Knob}}</code>. <b>Reason:</b> {{.Reason}} <b>Provider clock ahead:</b> {{secs .ProviderAhead}}.</p>
{{if .Steps}}<ol>{{range .Steps}}<li>{{.}}</li>{{end}}</ol>{{end}}
<details><summary>What was sent, and what the CRM answered ({{len .Sent}} deliveries)</summary>
<table><tr><th>At (fake clock)</th><th>Event</th><th>Attempt</th><th>CRM answer</th><th>Body</th></tr>
{{range .Sent}}<tr><td>{{ts .At}}</td><td>{{.Action}} {{.CallID}}{{if .Redelivery}} (redelivery){{end}}</td><td>{{.Attempt}}</td><td>{{if .Lost}}lost in the outage{{else}}{{.Status}} {{.Answer}}{{.Err}}{{end}}</td><td><code>{{.Body}}</code></td></tr>
{{end}}</table></details>
<details><summary>What the CRM's ledger holds ({{len .Ledger}} reads)</summary>
{{range .Ledger}}<p><code>{{.Request}}</code> → {{.Status}} {{.Err}}</p><pre>{{if .Body}}{{json .Body}}{{else}}{{.Text}}{{end}}</pre>
{{end}}</details>
{{end}}
<div class="sign"><p>Reviewed and signed off by: ______________________ Date: __________</p></div>
</body></html>
`))

// SDKVersion returns the version of the SDK module in this binary, from
// its build information: the module's version when the program depends on
// the SDK (v1.2.3, or a pseudo-version), "(devel)" when the SDK is the
// main module (go run, go test in this repository) or the information is
// missing. A VCS revision, when the build recorded one, follows in
// parentheses.
func SDKVersion() string {
	const path = "github.com/callmyway-go/sdk"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := ""
	if bi.Main.Path == path {
		v = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			v = d.Version
			if d.Replace != nil && d.Replace.Version != "" {
				v = d.Replace.Version
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}
