package homologation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest/homologation"
)

// Certify a CRM from its own Go test: start the runner's fake, point the
// CRM at it (here the SDK's reference integration stands in for the
// CRM), run the scenarios and write the certificate.
func Example() {
	ctx := context.Background()
	r, err := homologation.New(homologation.WithScenarios("duplicates", "reversed", "withheld"))
	if err != nil {
		panic(err)
	}
	defer r.Close()
	// A real CRM: configure it with r.URL(), r.Account(), r.Password(),
	// and give the Target its webhook and ledger URLs.
	crm, err := homologation.NewReference(r)
	if err != nil {
		panic(err)
	}
	defer crm.Close()
	rep, err := r.Run(ctx, crm.Target())
	if err != nil {
		panic(err)
	}
	for _, x := range rep.Results {
		fmt.Println(x.ID, x.Verdict)
	}
	fmt.Println("certified:", rep.Passed())
	_ = rep.WriteJUnit(os.Stderr) // and WriteHTML, WriteJSON
	// Output:
	// duplicates PASS
	// reversed PASS
	// withheld PASS
	// certified: true
}

// A CRM serves its hooks over HTTP so that `cmw homologate -crm-hooks
// URL` can make it act (poll CDRs, dial, move a phone, name a call's
// agent); the runner calls them through RemoteHooks. A hook the CRM does
// not offer answers 501, and its scenario is skipped.
func ExampleHooksHandler() {
	crm := homologation.Target{
		Owner: func(_ context.Context, callid string) (string, error) { return "Ana Solís", nil },
	}
	mux := http.NewServeMux()
	// In a real CRM: behind its sign-in, for admins only.
	mux.Handle("POST /homologation/hooks", homologation.HooksHandler(crm))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	hooks, err := homologation.RemoteHooks(srv.URL+"/homologation/hooks", http.Header{"Cookie": {"crm_session=..."}}, nil)
	if err != nil {
		panic(err)
	}
	owner, err := hooks.Owner(context.Background(), "17489012345670")
	fmt.Println(owner, err)
	err = hooks.Dial(context.Background(), callmyway.Endpoint{User: "8000002"}, "7000-0007")
	fmt.Println(errors.Is(err, homologation.ErrHookNotImplemented))
	// Output:
	// Ana Solís <nil>
	// true
}
