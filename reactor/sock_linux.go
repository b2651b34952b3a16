//go:build linux

package reactor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The sockets are non-blocking, so these calls cannot block: they go
// through RawSyscall and keep the loop's P (no scheduler hand-off per call).

func readFd(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

func writeFd(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

// recvFd and sendFd are readFd and writeFd for a socket. recvfrom and
// sendto go straight to the socket layer, past what read and write do
// first for any file (the file position lock, the permission and fsnotify
// hooks): about 0.2 µs less per write-and-read pair on loopback here
// (BenchmarkSocketCalls). MSG_NOSIGNAL spares the SIGPIPE a write to a
// reset peer would raise (Go ignores it, but it is still delivered).
func recvFd(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

func sendFd(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

// acceptFd accepts one connection, non-blocking and close-on-exec, without
// decoding the peer address (RemoteAddr asks the kernel when needed).
func acceptFd(fd int) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(n), nil
}

// socketFd makes a non-blocking, close-on-exec socket of the type typ
// (unix.SOCK_STREAM, unix.SOCK_DGRAM).
func socketFd(domain, typ int) (int, error) {
	return unix.Socket(domain, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// noSigpipe does nothing on Linux, which has no SO_NOSIGPIPE: the Go
// runtime ignores the SIGPIPE of a write to a closed socket or pipe on an
// fd other than 1 and 2, and the write returns EPIPE.
func noSigpipe(int) error { return nil }
