// Package timer is the deadline queue behind every reactor timer: one-shot
// and periodic timers in an indexed 4-ary heap with O(log n) add, cancel and
// reset, plus a Clock interface with a real clock and a fake clock that tests
// advance by hand. A timer is armed either as a *Timer (Add, AddPeriodic),
// which stays usable after it fires, or as a Handle (Schedule,
// SchedulePeriodic), a value that names one arming and costs no allocation.
//
// A Queue is not safe for concurrent use: the reactor owns it and calls it
// only from its loop goroutine, so it has no locks and starts no goroutines.
// Every method of Queue, Timer and Handle must be called on that goroutine;
// Clock implementations in this package are safe for concurrent use.
//
// The rules, each tested:
//
//   - Due timers (deadline <= now) run in deadline order, equal deadlines in
//     the order they were armed (Add, Reset or a periodic re-arm). A duration
//     <= 0 means "now", so it never jumps ahead of timers already due.
//   - Run collects every due timer before the first one runs. A timer armed,
//     reset or re-armed by a callback runs in a later Run even if it is
//     already due, so a callback that re-adds itself with 0 cannot spin; a
//     timer cancelled by an earlier callback of the same Run does not run.
//   - Cancel and Reset are idempotent and safe on fired and cancelled timers.
//     Both report what Active reported before the call: whether the timer
//     would have fired again.
//   - A Handle is live until its timer is cancelled or a one-shot's callback
//     returns. A dead Handle does nothing (Reset reports false and arms
//     nothing), even after its slot was reused; a one-shot may re-arm itself
//     with Reset from its own callback.
//   - A periodic timer's next deadline is its previous deadline plus the
//     interval, so it does not drift. When the owner fell several intervals
//     behind, it fires once and moves on to the first deadline of its series
//     after "now" (no burst of catch-up calls).
//   - When a callback panics and no Call hook recovers it, the panic leaves
//     Run, the panicking timer is retired (or re-armed if periodic) and the
//     due timers not yet run go back to the queue, in their order, for the
//     next Run.
//   - Deadlines saturate instead of overflowing: a huge duration means
//     "about 292 years after the queue was made".
//
// # Performance
//
// Timers live in a table of slots that the queue reuses (a free list chained
// through the heap-position table), so Schedule allocates nothing once the
// table has grown to the peak number of timers armed at once; Add allocates
// only its 32-byte *Timer. A Handle carries the slot's generation, bumped on
// every reuse, so a Handle kept after its timer fired or was cancelled is
// dead and harmless, never a way to cancel whichever timer took the slot.
// Heap entries are a deadline and a slot number with no pointer in them, so
// the GC does not scan the heap and sifting compares deadlines without
// touching the slots. The tables are kept at their peak size: about 60 bytes
// per timer (a 40-byte slot, a 16-byte heap entry, a 4-byte position). With
// RealClock the queue reads the time with time.Since, which reads only the
// monotonic clock (time.Now reads the wall clock too).
//
// The benchmarks compare the queue with the runtime's timers
// (time.AfterFunc) with a million timers already waiting; the figures
// measured on one machine are in the README's Benchmarks section, not here,
// since they depend on the machine. Reproduce them with
//
//	go test -run XXX -bench . -benchmem -count 5 ./timer/
package timer
