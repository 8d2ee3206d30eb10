package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer for a logger on the server's goroutines
// read by the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// csvServer serves streamCSV with write, logging into logs.
func csvServer(t *testing.T, logs *lockedBuffer, write func(io.Writer) error) *httptest.Server {
	t.Helper()
	a := &App{log: slog.New(slog.NewTextHandler(logs, nil))}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.streamCSV(w, r, "x.csv", write)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStreamCSVSendsRowsAsWritten: a CSV download's first rows reach the
// client while the rest is still being produced (before, the whole file
// was built in a bytes.Buffer first): the writer waits, after writing
// more than csvHold bytes, until the client has read them.
func TestStreamCSVSendsRowsAsWritten(t *testing.T) {
	var logs lockedBuffer
	row := strings.Repeat("x", 99) + "\n"
	first := csvHold/len(row) + 1
	readFirst := make(chan struct{})
	srv := csvServer(t, &logs, func(w io.Writer) error {
		for range first {
			if _, err := io.WriteString(w, row); err != nil {
				return err
			}
		}
		select {
		case <-readFirst: // the client has the first rows: go on
		case <-time.After(20 * time.Second):
			return errors.New("the first rows never reached the client")
		}
		_, err := io.WriteString(w, "last\n")
		return err
	})
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="x.csv"`, resp.Header.Get("Content-Disposition"))
	head := make([]byte, csvHold)
	_, err = io.ReadFull(resp.Body, head)
	require.NoError(t, err, "the first rows arrive before the file is complete")
	close(readFirst)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat(row, first)+"last\n", string(head)+string(rest))
	assert.Empty(t, logs.String())
}

// TestStreamCSVErrors: an error before anything was sent is a 500 (no
// file); an error once rows were sent cannot change the status: it is
// logged and the response is cut, so the client sees a failed download,
// not a complete-looking file.
func TestStreamCSVErrors(t *testing.T) {
	var logs lockedBuffer
	srv := csvServer(t, &logs, func(w io.Writer) error {
		_, _ = io.WriteString(w, "\ufeffheader\n")
		return errors.New("ledger down")
	})
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Content-Disposition"))
	assert.NotContains(t, string(body), "header")
	assert.Contains(t, logs.String(), "ledger down")

	logs.Reset()
	srv = csvServer(t, &logs, func(w io.Writer) error {
		_, _ = io.WriteString(w, strings.Repeat("row\n", csvHold/4+1))
		return errors.New("ledger down")
	})
	resp, err = http.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the download is cut, not complete")
	assert.Contains(t, logs.String(), "CSV download cut short")
	assert.Contains(t, logs.String(), "ledger down")

	logs.Reset()
	srv = csvServer(t, &logs, func(io.Writer) error { return nil })
	resp, err = http.Get(srv.URL)
	require.NoError(t, err)
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Empty(t, body)
}
