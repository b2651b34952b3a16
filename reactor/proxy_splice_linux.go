//go:build linux

package reactor

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// spliceSupported: Linux moves proxied bytes with splice(2).
const spliceSupported = true

// spliceFd moves up to n bytes from in to out, one of which is a pipe,
// without blocking. The fds are non-blocking, so the call goes through
// RawSyscall like readFd. It returns 0, nil at the end of in.
func spliceFd(in, out, n int) (int, error) {
	m, _, e := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n),
		unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(m), nil
}

// spliceUnsupported reports a splice error that means "not for these fds"
// rather than a failed connection.
func spliceUnsupported(err error) bool {
	return err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP
}

// newPipe creates a non-blocking pipe and grows it to pipeSize when the
// kernel allows (fewer, larger splices); if not, the default size stays.
// A pipe below pipeMinSize (the kernel shrinks the pipes of a user over
// fs.pipe-user-pages-soft to two pages) is refused: copying beats
// splicing 8 KiB at a time.
func newPipe() (*pipe, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("pipe2", err)
	}
	p := &pipe{r: fds[0], w: fds[1]}
	n, err := unix.FcntlInt(uintptr(p.w), unix.F_SETPIPE_SZ, pipeSize)
	if err != nil {
		n, err = unix.FcntlInt(uintptr(p.w), unix.F_GETPIPE_SZ, 0)
	}
	if err != nil || n < pipeMinSize {
		closePipe(p)
		return nil, errors.New("reactor: pipe too small to splice through")
	}
	p.size = n
	return p, nil
}
