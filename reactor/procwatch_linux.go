//go:build linux

package reactor

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// open gets a pidfd for the process: readable once it has exited.
func (w *ProcessWatch) open() error {
	fd, err := unix.PidfdOpen(w.pid, 0) // close-on-exec
	if err != nil {
		return os.NewSyscallError("pidfd_open", err)
	}
	w.fd = fd
	return nil
}

// The si_code values of a SIGCHLD siginfo (x/sys does not name them).
const (
	cldExited = 1
	cldKilled = 2
	cldDumped = 3
)

// exitStatus reports how the process ended once its pidfd is readable
// (which happens only when it has exited). waitid with WNOWAIT reads the
// status of our own unreaped child without reaping it, so that the
// cmd.Wait of whoever started it still works; for any other process it
// fails with ECHILD and the status is unknown.
func (w *ProcessWatch) exitStatus() (ProcessStatus, bool) {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PIDFD, w.fd, &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil)
	if err != nil {
		return ProcessStatus{}, true
	}
	return sigchldStatus(&info), true
}

// sigchldStatus decodes the SIGCHLD fields of a siginfo that x/sys leaves
// opaque: the union after si_signo, si_errno and si_code starts at the
// next pointer-aligned offset, and holds si_pid, si_uid, si_status.
func sigchldStatus(info *unix.Siginfo) ProcessStatus {
	const word = unsafe.Sizeof(uintptr(0))
	const union = (12 + word - 1) &^ (word - 1)
	p := unsafe.Add(unsafe.Pointer(info), union)
	pid := *(*int32)(p)
	status := *(*int32)(unsafe.Add(p, 8))
	switch {
	case pid == 0: // nothing waitable (WNOHANG): say nothing
		return ProcessStatus{}
	case info.Code == cldExited:
		return ProcessStatus{Known: true, Code: int(status)}
	case info.Code == cldKilled || info.Code == cldDumped:
		return ProcessStatus{Known: true, Code: -1, Signal: syscall.Signal(status)}
	}
	return ProcessStatus{}
}
