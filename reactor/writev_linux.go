package reactor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// writevFd is one writev(2), raw like readFd and writeFd (the socket is
// non-blocking). Up to 8 buffers use a stack array.
func writevFd(fd int, bufs [][]byte) (int, error) {
	var small [8]unix.Iovec
	iov := small[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}
