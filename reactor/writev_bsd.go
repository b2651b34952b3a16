//go:build darwin || openbsd

package reactor

import "golang.org/x/sys/unix"

// writevFd is one writev(2).
func writevFd(fd int, bufs [][]byte) (int, error) {
	n, err := unix.Writev(fd, bufs)
	if err != nil {
		return 0, errnoErr(err.(unix.Errno))
	}
	return n, nil
}
