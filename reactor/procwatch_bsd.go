//go:build darwin || freebsd || netbsd || openbsd

package reactor

import (
	"os"

	"golang.org/x/sys/unix"
)

// open makes the watch's own kqueue with EVFILT_PROC on the process. The
// main poller is readiness only, so the private kqueue is what it watches:
// a kqueue is readable while it has events pending.
func (w *ProcessWatch) open() error {
	kq, err := unix.Kqueue()
	if err != nil {
		return os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	err = addProcFilter(kq, w.pid, noteExit)
	if err != nil && err != unix.ESRCH && noteExit != unix.NOTE_EXIT {
		err = addProcFilter(kq, w.pid, unix.NOTE_EXIT) // macOS: not our child
	}
	if err != nil {
		unix.Close(kq)
		return os.NewSyscallError("kevent", err)
	}
	w.fd = kq
	return nil
}

func addProcFilter(kq, pid int, fflags uint32) error {
	var ev [1]unix.Kevent_t
	unix.SetKevent(&ev[0], pid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	ev[0].Fflags = fflags
	_, err := unix.Kevent(kq, ev[:], nil, nil)
	return err
}

// exitStatus collects the NOTE_EXIT event from the watch's kqueue.
func (w *ProcessWatch) exitStatus() (ProcessStatus, bool) {
	var ev [1]unix.Kevent_t
	n, err := unix.Kevent(w.fd, nil, ev[:], &unix.Timespec{})
	if err != nil || n == 0 || ev[0].Fflags&unix.NOTE_EXIT == 0 {
		return ProcessStatus{}, false
	}
	return exitData(&ev[0]), true
}
