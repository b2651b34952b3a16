package loadgen

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/evmachine/evmachine/bench/internal/procfs"
)

// beginWindow samples both processes and starts counting.
func (g *gen) beginWindow() {
	if g.ph != phWarmup {
		return
	}
	var err error
	if g.cfg.ServerPID > 0 {
		if g.srvStart, err = procfs.Take(g.cfg.ServerPID); err != nil {
			g.abort(fmt.Errorf("loadgen: the server's /proc: %w", err))
			return
		}
	}
	if g.selfStart, err = procfs.Take(os.Getpid()); err != nil {
		g.abort(fmt.Errorf("loadgen: own /proc: %w", err))
		return
	}
	g.sysStart, _ = procfs.ReadSystemCPU()
	g.enter(phMeasuring)
	g.winStart = time.Now()
	g.window = 0
	g.hist.Reset()
	g.r.AddTimer(g.cfg.Duration, g.endWindow)
}

// endWindow samples both processes again and stops the run.
func (g *gen) endWindow() {
	if g.ph != phMeasuring {
		return
	}
	wall := time.Since(g.winStart)
	g.ph = phDone
	res := &g.res
	res.WindowSeconds = wall.Seconds()
	res.RoundTrips = g.window
	res.RTPerSec = float64(g.window) / wall.Seconds()
	res.MBPerSec = res.RTPerSec * float64(g.cfg.Size) / 1e6
	if g.cfg.Churn {
		res.Connected = g.ready
		res.Handshakes, res.HandshakesPerSec = g.window, res.RTPerSec
	}
	if g.hist.TotalCount() > 0 {
		res.P50us = float64(g.hist.ValueAtQuantile(50))
		res.P99us = float64(g.hist.ValueAtQuantile(99))
		res.P999us = float64(g.hist.ValueAtQuantile(99.9))
		res.MaxUs = float64(g.hist.Max())
	}
	if self, err := procfs.Take(os.Getpid()); err == nil {
		d := self.Sub(g.selfStart)
		res.LoadgenCPUSeconds = d.CPU.Seconds()
		res.LoadgenCPUShare = d.CPUShare()
	}
	if g.cfg.ServerPID > 0 {
		s, err := procfs.Take(g.cfg.ServerPID)
		if err != nil {
			g.abort(fmt.Errorf("loadgen: the server's /proc: %w", err))
			return
		}
		d := s.Sub(g.srvStart)
		res.ServerCPUSeconds = d.CPU.Seconds()
		res.ServerRSSEnd = s.RSS
		res.ServerThreads = s.Threads
		res.ServerVolCS = d.Voluntary
		res.ServerInvolCS = d.Nonvoluntary
	}
	if sys, err := procfs.ReadSystemCPU(); err == nil && g.sysStart.Total > 0 {
		busy := (sys.Busy - g.sysStart.Busy).Seconds()
		res.OtherCPU = max(0, busy-res.ServerCPUSeconds-res.LoadgenCPUSeconds) / wall.Seconds()
	}
	g.finish()
}

// finishIdle samples the server's memory once the idle connections settled.
func (g *gen) finishIdle() {
	if g.ph != phSettling {
		return
	}
	g.ph = phDone
	if g.cfg.ServerPID > 0 {
		s, err := procfs.Take(g.cfg.ServerPID)
		if err != nil {
			g.abort(fmt.Errorf("loadgen: the server's /proc: %w", err))
			return
		}
		g.res.ServerRSSEnd = s.RSS
		g.res.ServerThreads = s.Threads
	}
	g.finish()
}

func (g *gen) finish() {
	g.res.Errors = g.res.ConnectErrors + g.res.Mismatches + g.res.Dropped
	g.stopping = true
	// Reset rather than close gracefully: a graceful close leaves every
	// client port in TIME_WAIT for a minute, and after a few 19,000-
	// connection runs the kernel's search for a free ephemeral port makes
	// connecting itself the slowest thing measured.
	for _, cl := range g.clients {
		if cl.c != nil && cl.c.Fd() >= 0 {
			unix.SetsockoptLinger(cl.c.Fd(), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		}
	}
	g.r.Stop()
}

// abort ends the run with err; the Result so far is returned with it.
func (g *gen) abort(err error) {
	if g.runErr == nil {
		g.runErr = err
	}
	g.ph = phDone
	g.finish()
}

func (g *gen) recordError(kind string, err error) {
	if len(g.res.ErrorSamples) < maxErrorSamples {
		g.res.ErrorSamples = append(g.res.ErrorSamples, fmt.Sprintf("%s: %v", kind, err))
	}
}

func (g *gen) progress() {
	if g.ph == phDone {
		return
	}
	now := time.Now()
	rate := 0.0
	if !g.progressTk.IsZero() {
		rate = float64(g.total-g.lastTotal) / now.Sub(g.progressTk).Seconds()
	}
	g.progressTk, g.lastTotal = now, g.total
	g.emit(Progress{
		Phase:     g.ph.String(),
		Elapsed:   now.Sub(g.phaseStart).Seconds(),
		Connected: g.ready,
		Rate:      rate,
		Errors:    g.res.ConnectErrors + g.res.Mismatches + g.res.Dropped,
	})
}
