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
//   - Add, Mod and Del fail on a closed fd with an *os.SyscallError that
//     names the system call and wraps EBADF. Del of an open fd that is not
//     registered is no error.
//   - Wait(timeout) waits for readiness: timeout < 0 blocks, 0 polls,
//     > 0 waits that long (sub-millisecond remainders round up to a whole
//     millisecond). It returns the ready events in a slice that is reused by
//     the next Wait, at most one Event per fd (kqueue's separate read and
//     write events are merged). A wake-up is consumed inside Wait and never
//     reported; any number of Wakes before a Wait end that one Wait only.
//     Before blocking, Wait polls once, lets the other runnable goroutines
//     run and polls again, so a busy loop never sleeps and a sleeping one
//     does not make the scheduler hand its P over and back (on Linux the
//     polls do not even enter the Go scheduler's syscall path).
//   - Error and hang-up conditions are reported as Readable+Writable (and
//     flagged in Err/Hup), so that the read or write path finds the error,
//     also on an fd registered for reading only.
//   - Wake() makes a Wait in progress (or the next one) return; it is the
//     only method safe for concurrent use.
//
// poller_test.go holds every backend to this contract.
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
