package main

import "syscall"

// childAttr kills a child if the driver dies and gives it a session of its
// own (its own scheduling autogroup).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setsid: true}
}
