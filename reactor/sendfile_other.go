//go:build !linux

package reactor

// sendfileSupported: elsewhere SendFile reads and writes (sendfile_read.go).
// The BSDs have a sendfile(2), but with other semantics on a non-blocking
// socket (partial sends reported with EAGAIN); it is not used untested.
const sendfileSupported = false

func sendfileFd(out, in int, off *int64, n int) (int, error) { return 0, errAgain }

func sendfileUnsupported(error) bool { return true }
