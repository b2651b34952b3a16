//go:build darwin || freebsd || netbsd || openbsd

package reactor

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// popenPidfd: no pidfd here; a goroutine waits for the child.
const popenPidfd = false

// popenSocketpair returns the loop's end of a new Unix socket pair
// (non-blocking, no SIGPIPE) and the child's (blocking), both
// close-on-exec. The fork lock keeps a concurrent exec from inheriting
// them before they are marked.
func popenSocketpair() (int, int, error) {
	syscall.ForkLock.RLock()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, -1, os.NewSyscallError("socketpair", err)
	}
	if err := setupFd(fds[0]); err != nil {
		closeFd(fds[0])
		closeFd(fds[1])
		return -1, -1, os.NewSyscallError("fcntl", err)
	}
	return fds[0], fds[1], nil
}
