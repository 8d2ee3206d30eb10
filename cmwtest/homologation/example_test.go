package homologation_test

import (
	"context"
	"fmt"
	"os"

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
