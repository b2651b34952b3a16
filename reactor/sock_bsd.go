//go:build darwin || freebsd || netbsd || openbsd

package reactor

import "golang.org/x/sys/unix"

// recvFd and sendFd are readFd and writeFd for a socket (Linux has
// cheaper calls for them: sock_linux.go).
func recvFd(fd int, p []byte) (int, error) { return readFd(fd, p) }
func sendFd(fd int, p []byte) (int, error) { return writeFd(fd, p) }

func readFd(fd int, p []byte) (int, error) {
	n, err := unix.Read(fd, p)
	if err != nil {
		return 0, errnoErr(err.(unix.Errno))
	}
	return n, nil
}

func writeFd(fd int, p []byte) (int, error) {
	n, err := unix.Write(fd, p)
	if err != nil {
		return 0, errnoErr(err.(unix.Errno))
	}
	return n, nil
}

func acceptFd(fd int) (int, error) {
	nfd, _, err := unix.Accept(fd)
	if err != nil {
		return -1, errnoErr(err.(unix.Errno))
	}
	if err := setupFd(nfd); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}

// socketFd makes a non-blocking, close-on-exec socket of the type typ
// (unix.SOCK_STREAM, unix.SOCK_DGRAM).
func socketFd(domain, typ int) (int, error) {
	fd, err := unix.Socket(domain, typ, 0)
	if err != nil {
		return -1, err
	}
	if err := setupFd(fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func setupFd(fd int) error {
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		return err
	}
	return noSigpipe(fd)
}
