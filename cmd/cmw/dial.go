package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
)

func cmdDial(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "dial", "AGENT CONTACT [-contact-first] [-caller-id EP]")
	contactFirst := fs.Bool("contact-first", false, "ring the contact first (it must be on the account's allowed list)")
	callerID := fs.String("caller-id", "", "bill the call to this endpoint and show its caller ID (needs -caller-id-password or $CMW_CALLER_ID_PASSWORD)")
	callerPass := fs.String("caller-id-password", "", "password of the -caller-id endpoint")
	alt := fs.Bool("alt-host", false, "use the alternative host ws2.callmyway.net")
	if err := parse(fs, g, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want AGENT and CONTACT, got %d arguments", fs.NArg())
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	var opts []click2dial.Option
	// The agent is named by username: webhooks (which name endpoints by
	// id) are not read here.
	req := click2dial.Request{Agent: callmyway.Endpoint{User: fs.Arg(0)}, Number: fs.Arg(1)}
	if *contactFirst {
		req.Order = click2dial.ContactFirst
	}
	if *alt {
		req.Host = callmyway.HostClickToDialAlt
	}
	if *callerID != "" {
		pass := *callerPass
		if pass == "" {
			pass = envOr("CMW_CALLER_ID_PASSWORD", "")
		}
		if pass == "" {
			return usagef("-caller-id needs the endpoint's password (-caller-id-password or $CMW_CALLER_ID_PASSWORD)")
		}
		opts = append(opts, click2dial.WithCallerID(*callerID, pass))
		req.CallerID = *callerID
	}
	d, err := click2dial.New(c, opts...)
	if err != nil {
		return err
	}
	res, err := d.Dial(ctx, req)
	switch {
	case errors.Is(err, callmyway.ErrInvalidNumber):
		return usagef("%v", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(g.stdout, "accepted: %s (%s) -> %s, caller ID %s\n", res.Agent, res.Order, res.Number.E164, res.CallerID)
	fmt.Fprintf(g.stdout, "CallMyWay answered %q. Accepted is not connected: the outcome arrives by webhook and in the CDR.\n", res.Raw)
	return nil
}
