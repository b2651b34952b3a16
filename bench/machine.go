package main

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Pinning   string `json:"pinning"` // how server and load generator were placed
	NoFile    string `json:"nofile"`  // the open-file limit
	Somaxconn string `json:"somaxconn"`
}

func describeMachine(pinning string) Machine {
	return Machine{
		CPU:       cpuModel(readTrim("/proc/cpuinfo")),
		Cores:     runtime.NumCPU(),
		Kernel:    orUnknown(readTrim("/proc/sys/kernel/osrelease")),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		Pinning:   pinning,
		NoFile:    noFileLimit(),
		Somaxconn: orUnknown(readTrim("/proc/sys/net/core/somaxconn")),
	}
}

// cpuModel returns the first "model name" of a /proc/cpuinfo text.
func cpuModel(cpuinfo string) string {
	sc := bufio.NewScanner(strings.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
