//go:build linux

package main

import "syscall"

// childAttr kills a child if the runner dies, so that no server outlives a
// cancelled benchmark, and gives it a session of its own. With the
// scheduler's autogroups (sched_autogroup_enabled), each session is one
// scheduling entity: without this the server, the load generator and
// the runner would share one CPU share between them on a busy machine,
// while every other session got a share each.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setsid: true}
}
