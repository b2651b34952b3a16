//go:build unix

package timer

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter measures the CPU time the whole process (every thread: the
// benchmark, the GC, timer goroutines) used, so that benchmarks can report
// CPU per op next to wall time per op. On a shared, busy machine the wall
// time includes waiting for a core; the CPU time does not.
type cpuMeter struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{processCPU()} }

// report adds a cpu-ns/op metric to b.
func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-m.start)/float64(b.N), "cpu-ns/op")
}
