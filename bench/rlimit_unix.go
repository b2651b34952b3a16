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
