package policy_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/policy"
)

// reportFixture records attempts and refusals of several customers: by
// case, by contact only, by number only, with an override and a formula
// a spreadsheet would run.
func reportFixture(t *testing.T) (*policy.Policy, *clock) {
	t.Helper()
	_, p, clk := setup(t, policy.Limits{MaxAttempts: 1, Window: time.Hour})
	ctx := t.Context()
	admit := func(a click2dial.Attempt) {
		clk.Advance(time.Second)
		err := p.Admit(ctx, a)
		if err != nil {
			refusal(t, err)
		}
	}
	for _, c := range []string{"k2", "k1", "=SUM(A1)", "k1", "k2", "k1"} {
		admit(attempt(t, c, "88881111"))
	}
	byContact := attempt(t, "", "88882222")
	byContact.Meta["contact"] = "c9"
	admit(byContact)
	byContact = attempt(t, "", "88882222")
	byContact.Meta["contact"] = "c9"
	admit(byContact)
	admit(attempt(t, "", "88883333"))
	admit(attempt(t, "", "88883333"))
	over := attempt(t, "k1", "88881111")
	over.Override = click2dial.Override{By: "sup1", Reason: "=1+1 asked to be called back"}
	admit(over)
	return p, clk
}

// TestReportSeqMatchesReport: ReportSeq yields what Report returns, and
// the CSV written from it, row by row, is byte for byte the CSV written
// from Report.
func TestReportSeqMatchesReport(t *testing.T) {
	p, _ := reportFixture(t)
	ctx := t.Context()
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	rep, err := p.Report(ctx, from, to)
	require.NoError(t, err)
	require.Len(t, rep, 5)
	var seq []policy.CustomerAttempts
	for c, err := range p.ReportSeq(ctx, from, to) {
		require.NoError(t, err)
		seq = append(seq, c)
	}
	assert.Equal(t, rep, seq)

	var want, got bytes.Buffer
	require.NoError(t, policy.WriteReportCSV(&want, rep))
	require.NoError(t, policy.WriteReportCSVSeq(&got, p.ReportSeq(ctx, from, to)))
	assert.Equal(t, want.String(), got.String())
	assert.Contains(t, got.String(), `,'=1+1 asked`, "formulas neutralised")

	for _, err := range p.ReportSeq(ctx, to, from) {
		assert.ErrorContains(t, err, "the range is empty or unbounded")
	}
	var zero policy.Policy
	for _, err := range zero.ReportSeq(ctx, from, to) {
		assert.Error(t, err)
	}
}

// TestReportSeqStreams: ReportSeq reads each customer's calls when it
// gets to that customer, not the whole report before the first one: an
// attempt recorded for the last customer after the first was yielded is
// in what it yields for the last one. Memory holds one customer's
// attempts, not the range's.
func TestReportSeqStreams(t *testing.T) {
	p, clk := reportFixture(t)
	ctx := t.Context()
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	rep, err := p.Report(ctx, from, to)
	require.NoError(t, err)
	last := rep[len(rep)-1]
	require.Equal(t, "number:+50688883333", last.Subject)

	var seq []policy.CustomerAttempts
	for c, err := range p.ReportSeq(ctx, from, to) {
		require.NoError(t, err)
		if len(seq) == 0 {
			clk.Advance(time.Second)
			err := p.Admit(ctx, attempt(t, "", "88883333"))
			refusal(t, err)
		}
		seq = append(seq, c)
	}
	require.Len(t, seq, len(rep))
	assert.Equal(t, rep[0], seq[0])
	assert.Len(t, seq[len(seq)-1].Attempts, len(last.Attempts)+1, "read after the first customer was yielded")
	assert.Equal(t, last.Refused+1, seq[len(seq)-1].Refused)

	n := 0
	for range p.ReportSeq(ctx, from, to) {
		n++
		break
	}
	assert.Equal(t, 1, n, "breaking out stops it")
}
