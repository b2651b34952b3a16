//go:build darwin

package reactor

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// noteExit asks for the exit status too; macOS gives it for children only.
const noteExit = unix.NOTE_EXIT | unix.NOTE_EXITSTATUS

// exitData decodes a NOTE_EXIT event's status, when it carries one.
func exitData(ev *unix.Kevent_t) ProcessStatus {
	if ev.Fflags&unix.NOTE_EXITSTATUS == 0 {
		return ProcessStatus{}
	}
	return statusOf(syscall.WaitStatus(uint32(ev.Data)))
}

// openEvtOnly opens a watched file for its events only, so that the watch
// does not keep its volume from being unmounted.
const openEvtOnly = unix.O_EVTONLY
