//go:build !linux

package main

import "syscall"

// childAttr gives a child a session of its own (the parent-death signal is
// Linux's).
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
