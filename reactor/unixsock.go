package reactor

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// unixSocketFile is the identity of the socket file a Listener created, so
// that Close removes it only if it is still that file and not one another
// server has since bound at the same path.
type unixSocketFile struct {
	path     string
	dev, ino uint64
}

// clearStaleSocket removes a socket file left at path by a server that is
// gone (a connect to it is refused), as a restart after a crash needs. A
// live socket (someone accepts, or its backlog is full) is left alone and
// reported as EADDRINUSE, as net.Listen does; a file that is not a socket
// is left for bind to refuse.
func clearStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return nil
	}
	fd, err := socketFd(unix.AF_UNIX, unix.SOCK_STREAM) // non-blocking: a full backlog answers EAGAIN, not a wait
	if err != nil {
		return syscallErr("socket", err)
	}
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
	closeFd(fd)
	switch {
	case errors.Is(err, unix.ECONNREFUSED):
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	case errors.Is(err, unix.ENOENT):
		return nil // removed meanwhile
	default: // connected, or EAGAIN: a live listener with a full backlog
		return syscallErr("bind", unix.EADDRINUSE)
	}
}

// statSocket records the identity of the socket file just bound at path.
func statSocket(path string) unixSocketFile {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return unixSocketFile{}
	}
	return unixSocketFile{path: path, dev: uint64(st.Dev), ino: uint64(st.Ino)}
}

// remove deletes the socket file if it is still the one this Listener
// created.
func (f unixSocketFile) remove() {
	if f.path == "" {
		return
	}
	var st unix.Stat_t
	if err := unix.Lstat(f.path, &st); err != nil || uint64(st.Dev) != f.dev || uint64(st.Ino) != f.ino {
		return
	}
	os.Remove(f.path)
}
