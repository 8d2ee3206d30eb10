// Package cdr reads CallMyWay's call history (see docs/provider.md, Call
// history) and keeps a CRM's
// copy of it in step.
//
// Record is one typed call record; unknown fields are kept in Extra.
// DecodePage accepts every answer shape the provider may send. Recent,
// Live and Range query a *callmyway.Client, always under the account's
// 4-second limiter; Range is an iterator that pages and chunks long ranges.
// Syncer backfills from a start date and then polls, committing records and
// its checkpoint together into a Store (cdr/sqlstore for SQLite and
// PostgreSQL), so every call is stored exactly once and nothing is lost
// when it is interrupted.
package cdr
