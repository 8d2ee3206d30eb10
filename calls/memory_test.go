package calls_test

import (
	"testing"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) calls.Store {
		s, err := calls.NewMemoryStore()
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
