//go:build darwin || freebsd || netbsd

package reactor

import "golang.org/x/sys/unix"

// noSigpipe asks for EPIPE instead of SIGPIPE when writing to a socket the
// peer closed (these BSDs have no MSG_NOSIGNAL for write).
func noSigpipe(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
}
