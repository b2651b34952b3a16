//go:build linux

package reactor

import (
	"os"

	"golang.org/x/sys/unix"
)

// popenPidfd: Popen learns of its child's exit from a pidfd in the poller.
const popenPidfd = true

// popenSocketpair returns the loop's end of a new Unix socket pair
// (non-blocking) and the child's (blocking), both close-on-exec.
func popenSocketpair() (int, int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, os.NewSyscallError("socketpair", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		closeFd(fds[0])
		closeFd(fds[1])
		return -1, -1, os.NewSyscallError("fcntl", err)
	}
	return fds[0], fds[1], nil
}
