package procfs

import "time"

// Sample is one reading of a process's counters.
type Sample struct {
	At           time.Time
	CPU          time.Duration // utime+stime, all threads
	RSS          int64         // bytes
	Threads      int
	Voluntary    int64 // context switches, summed over threads
	Nonvoluntary int64
}

// Take reads pid's stat, status and per-thread context switches.
func Take(pid int) (Sample, error) {
	st, err := ReadStat(pid)
	if err != nil {
		return Sample{}, err
	}
	ss, err := ReadStatus(pid)
	if err != nil {
		return Sample{}, err
	}
	v, nv, err := CtxSwitches(pid)
	if err != nil {
		return Sample{}, err
	}
	return Sample{At: time.Now(), CPU: st.CPU(), RSS: ss.RSS, Threads: st.Threads, Voluntary: v, Nonvoluntary: nv}, nil
}

// Delta is what changed between two Samples of one process.
type Delta struct {
	Wall         time.Duration
	CPU          time.Duration
	Voluntary    int64
	Nonvoluntary int64
}

// Sub returns s minus earlier.
func (s Sample) Sub(earlier Sample) Delta {
	return Delta{
		Wall:         s.At.Sub(earlier.At),
		CPU:          s.CPU - earlier.CPU,
		Voluntary:    s.Voluntary - earlier.Voluntary,
		Nonvoluntary: s.Nonvoluntary - earlier.Nonvoluntary,
	}
}

// CPUShare is CPU time over wall time: 1.0 is one core fully busy.
func (d Delta) CPUShare() float64 {
	if d.Wall <= 0 {
		return 0
	}
	return d.CPU.Seconds() / d.Wall.Seconds()
}
