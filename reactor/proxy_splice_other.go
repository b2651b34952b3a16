//go:build !linux

package reactor

import "golang.org/x/sys/unix"

// spliceSupported: without splice(2), proxied bytes go through the loop's
// read buffer and the target's Write.
const spliceSupported = false

func spliceFd(in, out, n int) (int, error) { return 0, unix.ENOSYS }

func spliceUnsupported(err error) bool { return true }

func newPipe() (*pipe, error) { return nil, unix.ENOSYS }
