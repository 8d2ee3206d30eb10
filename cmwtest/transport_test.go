package cmwtest

import (
	"context"
	"net/url"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

// A reset after the request reached the fake must look like a real
// socket's: the request may have been received, so Sent is true and a
// click to dial is not repeated.
func TestResetAfterSendIsSent(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c, err := s.NewClient()
	require.NoError(t, err)
	before := s.RequestCount(callmyway.PathClickToDial)
	s.FailNext(1, Fault{Kind: FaultReset})
	_, err = c.Send(context.Background(), callmyway.HostClickToDial, callmyway.PathClickToDial,
		url.Values{"first_num": {"8000001"}, "second_num": {"50688887777"}})
	var te *callmyway.TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, te.Sent, "the request reached the server before the reset")
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	assert.Equal(t, before+1, s.RequestCount(callmyway.PathClickToDial), "sent once, not retried")
}

// A request whose context is already done never reaches the fake: Sent
// stays false.
func TestCancelledBeforeSendIsNotSent(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c, err := s.NewClient()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Send(ctx, callmyway.HostClickToDial, callmyway.PathClickToDial, url.Values{"first_num": {"8000001"}})
	var te *callmyway.TransportError
	if assert.ErrorAs(t, err, &te) {
		assert.False(t, te.Sent)
	}
}
