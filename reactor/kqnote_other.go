//go:build freebsd || netbsd || openbsd

package reactor

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// noteExit: these BSDs put the exit status of any process in the event.
const noteExit = unix.NOTE_EXIT

// exitData decodes a NOTE_EXIT event's status.
func exitData(ev *unix.Kevent_t) ProcessStatus {
	return statusOf(syscall.WaitStatus(uint32(ev.Data)))
}

// openEvtOnly is how a watched file is opened (these BSDs have no
// O_EVTONLY).
const openEvtOnly = unix.O_RDONLY
