package main

import (
	"log"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// repin runs this program again pinned to one CPU, under a recognisable
// name (pgrep -f evmachine-bench-bin finds it): the affinity is set on the
// thread that calls exec, which the new image keeps.
func repin(cpu int) {
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		log.Fatalf("sched_setaffinity: %v", err)
	}
	argv := append([]string{"evmachine-bench-bin-redis"}, os.Args[1:]...)
	log.Fatal(syscall.Exec(self, argv, append(os.Environ(), pinnedEnv+"=1")))
}

// deathSig makes a child die with this process.
func deathSig() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
