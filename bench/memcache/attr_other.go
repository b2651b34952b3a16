//go:build !linux

package main

import "syscall"

// childAttr is empty where there is no parent-death signal; the runner
// kills its children itself (and reads CPU times from /proc, which only
// Linux has: the benchmark runs on Linux).
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
