package main

import (
	"fmt"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

const msgSize = 64

// echoHandler is the backend of the ping-pong runs.
type echoHandler struct{ reactor.BaseHandler }

func (echoHandler) ReceiveData(c *reactor.Conn, p []byte) { c.Write(p) }

// startReactor runs a reactor on its own goroutine.
func startReactor() (*reactor.Reactor, error) {
	r, err := reactor.New()
	if err != nil {
		return nil, err
	}
	go r.Run()
	return r, nil
}

// onLoop runs fn on r's goroutine and waits for it.
func onLoop(r *reactor.Reactor, fn func()) {
	done := make(chan struct{})
	r.NextTick(func() { defer close(done); fn() })
	<-done
}

// pinger keeps one 64-byte message in flight on its connection.
type pinger struct {
	reactor.BaseHandler
	pp   *pingpongRun
	have int
}

var msg = make([]byte, msgSize)

func (p *pinger) ConnectionCompleted(c *reactor.Conn) {
	p.pp.connected++
	c.Write(msg)
}

func (p *pinger) ReceiveData(c *reactor.Conn, data []byte) {
	p.have += len(data)
	for p.have >= msgSize {
		p.have -= msgSize
		p.pp.trips++
		c.Write(msg)
	}
}

func (p *pinger) Unbind(_ *reactor.Conn, reason error) {
	if !p.pp.ending {
		p.pp.failed++
	}
}

// pingpongRun is one measurement; its counters live on the client loop.
type pingpongRun struct {
	connected, failed int
	trips             int64
	ending            bool
}

// pingpongResult is what one run measured.
type pingpongResult struct {
	rtps            float64 // round trips per second
	cpuPerTrip      time.Duration
	rssKiB, hwmKiB  int64
	ctxSwitchPerSec float64
}

// pingpong opens conns connections to target from a fresh client reactor,
// waits for them, warms up, then counts round trips for dur while sampling
// the proxy process pid (0: none).
func pingpong(target string, conns int, warm, dur time.Duration, pid int) (pingpongResult, error) {
	var res pingpongResult
	r, err := startReactor()
	if err != nil {
		return res, err
	}
	defer r.Stop()
	pp := &pingpongRun{}
	onLoop(r, func() {
		for range conns {
			if _, err := r.Connect("tcp", target, &pinger{pp: pp}); err != nil {
				pp.failed++
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ok, failed int
		onLoop(r, func() { ok, failed = pp.connected, pp.failed })
		if failed > 0 {
			return res, fmt.Errorf("%d connections failed", failed)
		}
		if ok == conns {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("only %d of %d connections up", ok, conns)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(warm)
	var t0, t1 int64
	var p0, p1 procSample
	onLoop(r, func() { t0 = pp.trips })
	start := time.Now()
	if pid > 0 {
		p0, _ = sampleProc(pid)
	}
	time.Sleep(dur)
	onLoop(r, func() { t1 = pp.trips })
	elapsed := time.Since(start)
	if pid > 0 {
		p1, _ = sampleProc(pid)
	}
	var failed int
	onLoop(r, func() { pp.ending, failed = true, pp.failed })
	if failed > 0 {
		return res, fmt.Errorf("%d connections failed during the run", failed)
	}
	trips := t1 - t0
	res.rtps = float64(trips) / elapsed.Seconds()
	if pid > 0 && trips > 0 {
		res.cpuPerTrip = (p1.cpu - p0.cpu) / time.Duration(trips)
		res.rssKiB, res.hwmKiB = p1.rssKiB, p1.hwmKiB
		res.ctxSwitchPerSec = float64(p1.ctxSwitch-p0.ctxSwitch) / elapsed.Seconds()
	}
	return res, nil
}
