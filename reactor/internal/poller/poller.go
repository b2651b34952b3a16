// Package poller is the readiness seam under the reactor: epoll on Linux,
// kqueue on darwin and the BSDs, one concrete Poller type per OS file chosen
// by build tags, no runtime switch.
//
// Every backend provides the same contract:
//
//   - New() creates the poller and its wake-up channel (an eventfd on Linux,
//     a non-blocking pipe on the BSDs).
//   - Add(fd, read, write) registers fd with that interest, Mod changes it,
//     Del removes it. Registration is level-triggered.
//   - Wait(timeout) waits for readiness: timeout < 0 blocks, 0 polls,
//     > 0 waits that long (sub-millisecond remainders round up to a whole
//     millisecond). It returns the ready events in a slice that is reused by
//     the next Wait. A wake-up is consumed inside Wait and never reported.
//     Before blocking, Wait polls once without entering the Go scheduler's
//     syscall path, so a busy loop pays no thread hand-off per iteration.
//   - Error and hang-up conditions are reported as Readable+Writable (and
//     flagged in Err/Hup), so that the read or write path finds the error.
//   - Wake() makes a Wait in progress (or the next one) return; it is the
//     only method safe for concurrent use.
//
// A Poller is owned by one goroutine (the reactor's loop) except for Wake.
package poller

import "time"

// Event is one ready file descriptor.
type Event struct {
	Fd       int32
	Readable bool
	Writable bool
	Hup      bool // the peer hung up (both directions) or the fd was reset
	Err      bool // an error is pending on the fd (read SO_ERROR)
}

// maxEvents is how many events one Wait returns at most.
const maxEvents = 1024

// timeoutMillis converts a Wait timeout to the kernel's milliseconds,
// rounding a positive sub-millisecond remainder up so that a timer is never
// polled before its deadline.
func timeoutMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	if ms > 1<<30 {
		ms = 1 << 30
	}
	return int(ms)
}

// The compile-time check that every backend keeps the same method set.
var _ interface {
	Add(fd int, read, write bool) error
	Mod(fd int, read, write bool) error
	Del(fd int) error
	Wait(timeout time.Duration) ([]Event, error)
	Wake() error
	Close() error
} = (*Poller)(nil)
