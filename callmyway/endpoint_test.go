package callmyway

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestEndpoint(t *testing.T) {
	e := Endpoint{ID: "5001", User: "8000001"}
	assert.True(t, e.Has("5001"))
	assert.True(t, e.Has(" 8000001 "))
	assert.False(t, e.Has(""))
	assert.False(t, Endpoint{}.Has(""))
	assert.True(t, e.Same(Endpoint{ID: "5001"}))
	assert.True(t, e.Same(Endpoint{User: "8000001"}))
	assert.False(t, e.Same(Endpoint{ID: "5002", User: "8000002"}))
	assert.False(t, Endpoint{}.Same(Endpoint{}))
	assert.True(t, Endpoint{}.IsZero())
	assert.Equal(t, "5001", Endpoint{ID: "5001"}.String())
	assert.Equal(t, "8000001", Endpoint{User: "8000001"}.String())
}

func TestAccountValidate(t *testing.T) {
	ok := Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	assert.NoError(t, ok.Validate())
	for name, a := range map[string]Account{
		"Username": {Username: "80 01", Location: time.UTC, Region: "CR"},
		"Location": {Username: "8000001", Region: "CR"},
		"Region":   {Username: "8000001", Location: time.UTC, Region: "cr"},
	} {
		err := a.Validate()
		var ae *AccountError
		assert.ErrorAs(t, err, &ae, name)
		assert.Equal(t, name, ae.Field)
		assert.ErrorIs(t, err, ErrInvalidAccount)
	}
	assert.NoError(t, Account{Location: time.UTC, Region: "CR"}.Validate(), "a webhook receiver needs no username")
	assert.Error(t, Account{Username: "8&password=x", Location: time.UTC, Region: "CR"}.Validate())
}
