//go:build linux

package reactor

import "golang.org/x/sys/unix"

// sendfileSupported: Linux sends regular files with sendfile(2).
const sendfileSupported = true

// sendfileFd sends up to n bytes of in from *off to the socket out and
// advances *off. It goes through unix.Sendfile (not a raw call): reading a
// file that is not in the page cache may block, and the scheduler must
// then be free to run other goroutines.
func sendfileFd(out, in int, off *int64, n int) (int, error) {
	m, err := unix.Sendfile(out, in, off, n)
	if err != nil {
		return max(m, 0), errnoErr(err.(unix.Errno))
	}
	return m, nil
}

// sendfileUnsupported reports a sendfile error that means "not for this
// file" rather than a failed connection.
func sendfileUnsupported(err error) bool {
	return err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP
}
