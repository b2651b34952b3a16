package reactor

import "golang.org/x/sys/unix"

// With the loop check on, Run locks the loop goroutine to its OS thread,
// so the thread id names the loop goroutine: gettid(2), a raw system call
// that cannot block, costs a fraction of a goroutine id parsed from
// runtime.Stack.
const lockForCheck = true

func loopIdentity() uint64 {
	tid, _, _ := unix.RawSyscall(unix.SYS_GETTID, 0, 0, 0)
	return uint64(tid)
}
