//go:build !linux

package main

import "syscall"

// childAttr gives a child a session of its own, as on Linux.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
