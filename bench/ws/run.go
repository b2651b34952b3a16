package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/evmachine/evmachine/bench/internal/procfs"
)

// result is one server's figures in one round.
type result struct {
	msgsPerSec float64
	cpuPerMsg  time.Duration
	idleKiB    float64 // RSS per idle connection
	ctxPerSec  float64
	serverCPU  float64 // share of a core during the ping-pong
	loadCPU    float64 // the load generator's share
}

func drive(rounds, conns int, warm, dur time.Duration) error {
	all := map[string][]result{}
	for round := 1; round <= rounds; round++ {
		for _, kind := range servers {
			waitForOthers()
			res, err := runOne(kind, conns, warm, dur)
			if err != nil {
				return fmt.Errorf("%s: %w", kind, err)
			}
			fmt.Printf("round %d %-9s %9.0f msg/s  %6.2f µs CPU/msg  %5.2f KiB/idle conn  %7.0f ctxsw/s  server %3.0f%% CPU, load generator %3.0f%%\n",
				round, kind, res.msgsPerSec, float64(res.cpuPerMsg.Nanoseconds())/1000, res.idleKiB, res.ctxPerSec, 100*res.serverCPU, 100*res.loadCPU)
			all[kind] = append(all[kind], res)
		}
	}
	report(all, rounds, conns)
	return nil
}

func runOne(kind string, conns int, warm, dur time.Duration) (result, error) {
	var res result
	srv, err := startServer(kind)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	time.Sleep(300 * time.Millisecond)
	base, err := procfs.ReadStatus(pid)
	if err != nil {
		return res, err
	}
	g, err := newLoadGen()
	if err != nil {
		return res, err
	}
	defer g.stop()
	if err := g.connect(srv.addr, conns); err != nil {
		return res, err
	}
	time.Sleep(time.Second)
	idle, err := procfs.ReadStatus(pid)
	if err != nil {
		return res, err
	}
	res.idleKiB = float64(idle.RSS-base.RSS) / 1024 / float64(conns)

	g.startPingPong()
	time.Sleep(warm)
	s0, _ := procfs.Take(pid)
	l0, _ := procfs.Take(os.Getpid())
	e0 := g.echoes.Load()
	time.Sleep(dur)
	s1, _ := procfs.Take(pid)
	l1, _ := procfs.Take(os.Getpid())
	if c := g.closed.Load(); c > 0 {
		return res, fmt.Errorf("%d connections closed during the run", c)
	}
	e1 := g.echoes.Load()
	d := s1.Sub(s0)
	n := e1 - e0
	if n <= 0 {
		return res, fmt.Errorf("no echoes counted")
	}
	res.msgsPerSec = float64(n) / d.Wall.Seconds()
	res.cpuPerMsg = d.CPU / time.Duration(n)
	res.ctxPerSec = float64(d.Voluntary+d.Nonvoluntary) / d.Wall.Seconds()
	res.serverCPU = d.CPUShare()
	res.loadCPU = l1.Sub(l0).CPUShare()
	return res, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(all map[string][]result, rounds, conns int) {
	med := map[string]result{}
	for kind, rs := range all {
		var m, c, k, x []float64
		for _, r := range rs {
			m = append(m, r.msgsPerSec)
			c = append(c, float64(r.cpuPerMsg))
			k = append(k, r.idleKiB)
			x = append(x, r.ctxPerSec)
		}
		med[kind] = result{msgsPerSec: median(m), cpuPerMsg: time.Duration(median(c)), idleKiB: median(k), ctxPerSec: median(x)}
	}
	g := med["gorilla"]
	fmt.Printf("\nWebSocket echo, %d connections, 64-byte binary messages, one core per server; median of %d rounds\n\n", conns, rounds)
	fmt.Println("| server | messages/s | vs gorilla | server CPU µs/message | RSS KiB per idle connection | vs gorilla | context switches/s |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, kind := range servers {
		r := med[kind]
		fmt.Printf("| %s | %.0f | %.2fx | %.2f | %.2f | %.2fx | %.0f |\n", kind, r.msgsPerSec, r.msgsPerSec/g.msgsPerSec,
			float64(r.cpuPerMsg.Nanoseconds())/1000, r.idleKiB, r.idleKiB/g.idleKiB, r.ctxPerSec)
	}
}
