//go:build linux

package main

import "syscall"

// childAttr kills a child (a client run, memcached) if this runner dies.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
