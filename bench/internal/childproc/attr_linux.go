package childproc

import "syscall"

// ChildAttr (for any command a benchmark runs) kills a child if its parent dies, so that no server outlives a
// cancelled benchmark, and gives it a session of its own. With the
// scheduler's autogroups (sched_autogroup_enabled), each session is one
// scheduling entity: without this the server, the load generator and the
// runner would share one CPU share between them on a busy machine, while
// every other session got a share each.
func ChildAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setsid: true}
}
