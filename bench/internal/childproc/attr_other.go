//go:build !linux

package childproc

import "syscall"

// ChildAttr gives a child a session of its own, as on Linux.
func ChildAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
