// Package timer is the deadline queue behind every reactor timer: one-shot
// and periodic timers in an indexed 4-ary heap with O(log n) add, cancel and
// reset, plus a Clock interface with a real clock and a fake clock that tests
// advance by hand.
//
// A Queue is not safe for concurrent use: the reactor owns it and calls it
// only from its loop goroutine, so it has no locks and starts no goroutines.
// Due timers run in deadline order, equal deadlines in the order they were
// added. A periodic timer's next deadline is its previous deadline plus the
// interval, so it does not drift; when the caller fell several intervals
// behind, it fires once and moves on to the first deadline after "now"
// (no burst of catch-up calls).
package timer
