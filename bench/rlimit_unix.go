//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// noFileLimit describes RLIMIT_NOFILE.
func noFileLimit() string {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%d (hard %d)", r.Cur, r.Max)
}

// raiseNoFile raises the soft open-file limit to the hard one, explicitly,
// so that the servers the runner starts inherit it too (Go raises its own
// limit at start-up but hands children the original one).
func raiseNoFile() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	r.Cur = r.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("setrlimit: %w", err)
	}
	return uint64(r.Cur), nil
}
