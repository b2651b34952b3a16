package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// SystemCPU is the machine-wide CPU time from the first line of /proc/stat,
// over all CPUs.
type SystemCPU struct {
	Busy  time.Duration // user+nice+system+irq+softirq+steal
	Total time.Duration // Busy plus idle and iowait
}

// ParseSystemCPU parses /proc/stat's "cpu " line (the sum over CPUs).
// Guest time is already counted in user and nice, so it is not added.
func ParseSystemCPU(b []byte) (SystemCPU, error) {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 8 || string(f[0]) != "cpu" {
		return SystemCPU{}, fmt.Errorf("%w: /proc/stat: no cpu line", ErrFormat)
	}
	var v [8]int64 // user nice system idle iowait irq softirq steal
	for i := range v {
		if 1+i >= len(f) {
			break
		}
		n, err := strconv.ParseInt(string(f[1+i]), 10, 64)
		if err != nil {
			return SystemCPU{}, fmt.Errorf("%w: /proc/stat field %d: %w", ErrFormat, i+1, err)
		}
		v[i] = n
	}
	busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return SystemCPU{Busy: time.Duration(busy) * ClockTick, Total: time.Duration(busy+v[3]+v[4]) * ClockTick}, nil
}

// ReadSystemCPU reads /proc/stat.
func ReadSystemCPU() (SystemCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return SystemCPU{}, fmt.Errorf("procfs: %w", err)
	}
	return ParseSystemCPU(b)
}
