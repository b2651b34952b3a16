//go:build !linux

package main

import (
	"log"
	"os"
	"syscall"
)

// repin is Linux-only: elsewhere the benchmark runs unpinned.
func repin(int) {
	log.Printf("CPU pinning is Linux-only: running unpinned")
	os.Setenv(pinnedEnv, "unpinned")
}

func deathSig() *syscall.SysProcAttr { return nil }
