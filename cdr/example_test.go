package cdr_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cmwtest"
)

func ExampleRange() {
	fake := cmwtest.NewServer()
	defer fake.Close()
	from := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
	fake.GenerateHistory(3, from, from.Add(time.Hour), 1)
	client, err := fake.NewClient() // in production: callmyway.New(account, password)
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for rec, err := range cdr.Range(context.Background(), client, from, from.Add(time.Hour)) {
		if err != nil {
			log.Fatal(err)
		}
		n++
		_ = rec.CallID
	}
	fmt.Println(n, "records")
	// Output: 3 records
}

func ExampleSyncer() {
	fake := cmwtest.NewServer()
	defer fake.Close()
	client, _ := fake.NewClient()
	store := cdr.NewMemoryStore() // or sqlite.Open / postgres.Open (cdr/sqlstore/...)
	syncer, err := cdr.NewSyncer(client, store,
		cdr.StartAt(time.Now().Add(-2*time.Hour)), // backfill from here
		cdr.Overlap(15*time.Minute),               // re-read to catch late records
	)
	if err != nil {
		log.Fatal(err)
	}
	p, err := syncer.SyncOnce(context.Background()) // in production: go syncer.Run(ctx)
	fmt.Println(p.Backfilling, err)
	// Output: false <nil>
}
