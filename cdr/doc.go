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
//
// # Text
//
// Every Store (MemoryStore, and cdr/sqlstore on SQLite and on PostgreSQL)
// stores a record's text the same way: a NUL byte, or a run of bytes that
// is not valid UTF-8, in any text field (CallID included), in Direction,
// or in an Extra key or raw value, is replaced by U+FFFD, the Unicode
// replacement character (Record.SanitizeText). Valid text is stored as
// sent. PostgreSQL's TEXT refuses both, SQLite would keep them, and the
// webhook handler refuses a delivery carrying NUL (the sender can fix and
// resend it); the history is repaired instead of refused because the
// provider sends the same record again on every poll, so a refused record
// would stall the Syncer for good, and a history with one odd character is
// worth more than none. Two callids that differ only in such bytes would
// become one record.
package cdr
