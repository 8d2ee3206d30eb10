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
// stores a record's text the same way (Record.SanitizeText). PostgreSQL's
// TEXT refuses NUL bytes and invalid UTF-8, SQLite would keep them, so:
//
//   - Ids (CallID, OriginalCallID, RefCallID) are keys and are never
//     repaired. A Record holds them raw, as the provider sent them
//     (DecodePage does not touch them); they are escaped in one place,
//     EscapeID, where they become a key (a Store's row, a calls ledger
//     call): one holding NUL or another control character, bytes that
//     are not valid UTF-8, or starting with EscapedIDPrefix is kept byte
//     for byte in escaped form, and Stores give it back raw. Two
//     different callids are never stored as one record, nor as one call
//     by the calls ledger, whether decoded or built by hand.
//   - In any other text field, in Direction, and in an Extra key or raw
//     value, a NUL byte or a run of bytes that is not valid UTF-8 is
//     replaced by U+FFFD, the Unicode replacement character.
//
// Valid text is stored as sent. The history is kept instead of refused
// because the provider sends the same record again on every poll, so a
// refused record would stall the Syncer for good, and a history with one
// odd character is worth more than none. (The webhook handler, whose
// sender can fix and resend, refuses such callids with a 400.)
package cdr
