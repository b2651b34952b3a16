package main

import (
	"bufio"
	"os"
	"os/exec"
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
	Revision  string `json:"revision"` // the evmachine commit measured
}

// revision names the commit of the checkout at root, "+ local changes"
// when the code the servers are built from differs from it.
func revision(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	rev := strings.TrimSpace(string(out))
	dirty, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", ".", ":!bench/RESULTS.md", ":!bench/results.svg", ":!bench/results.json", ":!bench/results-tls.json", ":!bench/results-group.json", ":!bench/TLS-PROFILE.md", ":!bench/GROUP-PROFILE.md", ":!bench/DESCRIPTORS.md", ":!bench/http/RESULTS.md", ":!bench/http/results.json").Output()
	if err == nil && len(strings.TrimSpace(string(dirty))) > 0 {
		rev += " + local changes"
	}
	return rev
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
