package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/evmachine/evmachine/bench/internal/procfs"
)

var (
	clients = []string{"evmachine", "gomemcache"}
	ops     = []string{"get", "set"}
	concs   = []int{1, 50, 1000}
)

// scenario is one cell of the report: an operation at a concurrency.
type scenario struct {
	op   string
	conc int
}

// sample is what one run measured.
type sample struct {
	ops       int64         // operations completed in the window
	secs      float64       // the window's length
	errs      int64         // operations that failed
	clientCPU time.Duration // the client process's CPU in the window
	serverCPU time.Duration // memcached's CPU in the window
	commands  int64         // evmachine: commands written in the window
	writes    int64         // evmachine: writes that carried them
}

func (s sample) opsPerSec() float64     { return float64(s.ops) / s.secs }
func (s sample) clientUsPerOp() float64 { return us(s.clientCPU) / float64(s.ops) }
func (s sample) serverUsPerOp() float64 { return us(s.serverCPU) / float64(s.ops) }
func (s sample) serverShare() float64   { return s.serverCPU.Seconds() / s.secs }
func (s sample) perWrite() float64 {
	if s.writes == 0 {
		return 0
	}
	return float64(s.commands) / float64(s.writes)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// runKey names one client in one scenario.
type runKey struct {
	client string
	sc     scenario
}

func (k runKey) String() string { return fmt.Sprintf("%s %s x%d", k.client, k.sc.op, k.sc.conc) }

// scenarios lists every operation at every concurrency.
func scenarios() []scenario {
	var out []scenario
	for _, op := range ops {
		for _, n := range concs {
			out = append(out, scenario{op, n})
		}
	}
	return out
}

// runAll starts memcached and runs every scenario for every client,
// rounds times, clients interleaved.
func runAll(rounds int, warmup, dur time.Duration) (map[runKey][]sample, environment, error) {
	mc, err := startMemcached()
	if err != nil {
		return nil, environment{}, err
	}
	defer mc.stop()
	env := newEnvironment(mc.version)
	if err := prefill(mc.addr); err != nil {
		return nil, env, err
	}
	res := map[runKey][]sample{}
	for round := range rounds {
		for _, sc := range scenarios() {
			for _, cl := range clients {
				k := runKey{cl, sc}
				s, err := runOne(mc, cl, sc, warmup, dur)
				if err != nil {
					return nil, env, fmt.Errorf("%v: %w", k, err)
				}
				fmt.Fprintf(os.Stderr, "round %d %-24v %10.0f ops/s  client %6.2f µs/op  memcached %6.2f µs/op (%3.0f%% of a core)  errors %d\n",
					round+1, k, s.opsPerSec(), s.clientUsPerOp(), s.serverUsPerOp(), 100*s.serverShare(), s.errs)
				res[k] = append(res[k], s)
			}
		}
	}
	return res, env, nil
}

// runOne runs one client in a child process and samples its CPU and
// memcached's between the child's START and END lines.
func runOne(mc *memcachedProc, client string, sc scenario, warmup, dur time.Duration) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	cmd := exec.Command(self, "-client", client, "-op", sc.op, "-conc", fmt.Sprint(sc.conc),
		"-addr", mc.addr, "-warmup", warmup.String(), "-duration", dur.String())
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return sample{}, err
	}
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	timeout := time.AfterFunc(warmup+dur+60*time.Second, func() { cmd.Process.Kill() })
	defer timeout.Stop()

	var s sample
	var c0, m0 procfs.Stat
	sc2 := bufio.NewScanner(stdout)
	for sc2.Scan() {
		line := sc2.Text()
		switch {
		case line == "START":
			if c0, err = procfs.ReadStat(cmd.Process.Pid); err != nil {
				return s, err
			}
			if m0, err = procfs.ReadStat(mc.cmd.Process.Pid); err != nil {
				return s, err
			}
		case strings.HasPrefix(line, "END "):
			c1, err := procfs.ReadStat(cmd.Process.Pid)
			if err != nil {
				return s, err
			}
			m1, err := procfs.ReadStat(mc.cmd.Process.Pid)
			if err != nil {
				return s, err
			}
			if _, err := fmt.Sscanf(line, "END %d %f %d %d %d", &s.ops, &s.secs, &s.errs, &s.commands, &s.writes); err != nil {
				return s, fmt.Errorf("child said %q: %w", line, err)
			}
			s.clientCPU, s.serverCPU = c1.CPU()-c0.CPU(), m1.CPU()-m0.CPU()
			if s.ops == 0 {
				return s, fmt.Errorf("no operations completed")
			}
			return s, nil
		}
	}
	return s, fmt.Errorf("child ended without a result: %v", cmd.Wait())
}

// memcachedProc is the memcached the benchmark runs against.
type memcachedProc struct {
	cmd     *exec.Cmd
	addr    string
	version string
}

// startMemcached starts memcached with one worker thread on a free
// loopback port and waits until it answers.
func startMemcached() (*memcachedProc, error) {
	bin, err := exec.LookPath("memcached")
	if err != nil {
		return nil, fmt.Errorf("memcached is not installed (Debian package memcached): %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := []string{"-l", "127.0.0.1", "-p", fmt.Sprint(port), "-U", "0", "-t", "1", "-c", "4096", "-m", "256"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	mc := &memcachedProc{cmd: exec.Command(bin, args...), addr: fmt.Sprintf("127.0.0.1:%d", port)}
	mc.cmd.Stderr = os.Stderr
	mc.cmd.SysProcAttr = childAttr()
	if err := mc.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", mc.addr, time.Second)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(time.Second))
		fmt.Fprint(c, "version\r\n")
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil && strings.HasPrefix(line, "VERSION ") {
			mc.version = strings.TrimSpace(strings.TrimPrefix(line, "VERSION "))
			return mc, nil
		}
	}
	mc.stop()
	return nil, fmt.Errorf("memcached did not start on %s", mc.addr)
}

// stop kills memcached by its PID and waits for it.
func (mc *memcachedProc) stop() {
	mc.cmd.Process.Kill()
	mc.cmd.Wait()
}
