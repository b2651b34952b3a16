// Package procfs reads the few process figures the benchmark needs from
// Linux's /proc: CPU time (utime+stime from /proc/PID/stat), resident memory
// and context switches (/proc/PID/status, summed over the process's
// threads). The parsers take bytes so that they are tested without a
// running process; the readers are thin wrappers around them. On systems
// without /proc the readers return an error.
//
// Everything here is safe for concurrent use.
package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ClockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ). It
// is 100 on every Linux architecture Go supports; reading it properly needs
// sysconf(_SC_CLK_TCK), which needs cgo.
const ClockTick = 10 * time.Millisecond

// ErrFormat reports a /proc file that does not parse.
var ErrFormat = errors.New("procfs: unexpected format")

// Stat is the part of /proc/PID/stat the benchmark reads.
type Stat struct {
	Comm    string // the command name, without parentheses
	State   byte
	Utime   int64 // user CPU time, in clock ticks, all threads
	Stime   int64 // system CPU time, in clock ticks, all threads
	Threads int
}

// CPU returns user plus system CPU time.
func (s Stat) CPU() time.Duration { return time.Duration(s.Utime+s.Stime) * ClockTick }

// ParseStat parses the contents of /proc/PID/stat. The command name may
// hold spaces and parentheses, so fields are counted from the last ')'.
func ParseStat(b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return Stat{}, fmt.Errorf("%w: stat: no command name", ErrFormat)
	}
	f := bytes.Fields(b[closing+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15, num_threads 20.
	if len(f) < 18 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("%w: stat: %d fields after the command name", ErrFormat, len(f))
	}
	s := Stat{Comm: string(b[open+1 : closing]), State: f[0][0]}
	var err error
	if s.Utime, err = strconv.ParseInt(string(f[11]), 10, 64); err != nil {
		return Stat{}, fmt.Errorf("%w: stat utime: %w", ErrFormat, err)
	}
	if s.Stime, err = strconv.ParseInt(string(f[12]), 10, 64); err != nil {
		return Stat{}, fmt.Errorf("%w: stat stime: %w", ErrFormat, err)
	}
	if s.Threads, err = strconv.Atoi(string(f[17])); err != nil {
		return Stat{}, fmt.Errorf("%w: stat num_threads: %w", ErrFormat, err)
	}
	return s, nil
}

// Status is the part of /proc/PID/status the benchmark reads. Memory is in
// bytes (the file says kB, meaning KiB).
type Status struct {
	RSS          int64 // VmRSS
	HWM          int64 // VmHWM: peak RSS
	Threads      int
	Voluntary    int64 // voluntary_ctxt_switches
	Nonvoluntary int64 // nonvoluntary_ctxt_switches
}

// ParseStatus parses the contents of /proc/PID/status (or of
// /proc/PID/task/TID/status). Missing keys stay zero (a kernel thread has no
// VmRSS); a key present with a malformed value is an error.
func ParseStatus(b []byte) (Status, error) {
	var s Status
	for line := range bytes.Lines(b) {
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var dst *int64
		kib := false
		switch string(key) {
		case "VmRSS":
			dst, kib = &s.RSS, true
		case "VmHWM":
			dst, kib = &s.HWM, true
		case "voluntary_ctxt_switches":
			dst = &s.Voluntary
		case "nonvoluntary_ctxt_switches":
			dst = &s.Nonvoluntary
		case "Threads":
			n, err := strconv.Atoi(string(bytes.TrimSpace(val)))
			if err != nil {
				return Status{}, fmt.Errorf("%w: status Threads: %w", ErrFormat, err)
			}
			s.Threads = n
			continue
		default:
			continue
		}
		fields := bytes.Fields(val)
		if len(fields) == 0 {
			return Status{}, fmt.Errorf("%w: status %s: no value", ErrFormat, key)
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return Status{}, fmt.Errorf("%w: status %s: %w", ErrFormat, key, err)
		}
		if kib {
			n *= 1024
		}
		*dst = n
	}
	return s, nil
}

// ReadStat reads /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return Stat{}, fmt.Errorf("procfs: %w", err)
	}
	return ParseStat(b)
}

// ReadStatus reads /proc/PID/status. Its context-switch counts are the
// main thread's only; Sample sums them over all threads.
func ReadStatus(pid int) (Status, error) {
	b, err := os.ReadFile(procPath(pid, "status"))
	if err != nil {
		return Status{}, fmt.Errorf("procfs: %w", err)
	}
	return ParseStatus(b)
}

// CtxSwitches sums voluntary and non-voluntary context switches over the
// threads of pid now alive (/proc/PID/task/*/status). Threads that exited
// are not counted; benchmarked servers keep their threads.
func CtxSwitches(pid int) (voluntary, nonvoluntary int64, err error) {
	tasks, err := filepath.Glob(procPath(pid, "task/*/status"))
	if err != nil || len(tasks) == 0 {
		return 0, 0, fmt.Errorf("procfs: no tasks for pid %d", pid)
	}
	for _, t := range tasks {
		b, rerr := os.ReadFile(t)
		if rerr != nil {
			continue // the thread exited meanwhile
		}
		s, perr := ParseStatus(b)
		if perr != nil {
			return 0, 0, fmt.Errorf("%s: %w", t, perr)
		}
		voluntary += s.Voluntary
		nonvoluntary += s.Nonvoluntary
	}
	return voluntary, nonvoluntary, nil
}

func procPath(pid int, name string) string {
	return filepath.Join("/proc", strconv.Itoa(pid), name)
}

// LoadAvg returns the machine's 1, 5 and 15 minute load averages from
// /proc/loadavg, space-separated ("1.02 0.87 0.65"), or "unknown": other
// processes on a shared machine show up there.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "unknown"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}
