// Command ws measures evmachine's WebSocket server (protocols/websocket,
// one loop) against gorilla/websocket (a goroutine per connection over
// net/http) and nbio's websocket (one poller), each an echo server in its
// own process pinned to CPU 0 with GOMAXPROCS=1, in the same run:
//
//   - messages/s with 10,000 connections each keeping one 64-byte binary
//     message in flight (the load generator is evmachine's WebSocket
//     client on one reactor, pinned to CPU 1, the same for every server);
//   - the server's CPU time per message (utime+stime from /proc);
//   - RSS per idle connection: (RSS with the connections open and idle -
//     RSS before) / connections.
//
// Servers are interleaved within each round; the table gives the median
// of the rounds and the ratios to gorilla measured in the same run.
//
//	go build -o /tmp/evmachine-bench-bin-ws ./bench/ws && /tmp/evmachine-bench-bin-ws
//	/tmp/evmachine-bench-bin-ws -rounds 3 -conns 10000 -duration 5s
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

var servers = []string{"evmachine", "gorilla", "nbio"}

func main() {
	serveKind := flag.String("serve", "", "internal: run this echo server (evmachine, gorilla, nbio) and print READY <addr>")
	rounds := flag.Int("rounds", 3, "rounds; each runs every server once")
	conns := flag.Int("conns", 10000, "connections")
	warm := flag.Duration("warmup", 2*time.Second, "ping-pong warm-up before counting")
	dur := flag.Duration("duration", 5*time.Second, "ping-pong measurement per run")
	flag.Parse()
	if *serveKind != "" {
		if err := serve(*serveKind); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if repinned() {
		return
	}
	if err := drive(*rounds, *conns, *warm, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ws:", err)
		os.Exit(1)
	}
}

// repinned re-executes the driver on CPU 1 with taskset (servers run on
// CPU 0) and reports whether it did; without taskset nothing is pinned.
func repinned() bool {
	if os.Getenv("WSBENCH_PINNED") != "" {
		return false
	}
	ts, err := exec.LookPath("taskset")
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskset not found: nothing is pinned")
		return false
	}
	exe, _ := os.Executable()
	cmd := exec.Command(ts, append([]string{"-c", "1", exe}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), "WSBENCH_PINNED=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Exit(1)
	}
	return true
}

// child is one server process.
type child struct {
	cmd  *exec.Cmd
	addr string
}

func startServer(kind string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{exe, "-serve", kind}
	if ts, err := exec.LookPath("taskset"); err == nil {
		args = append([]string{ts, "-c", "0"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// The server prints READY <addr>; nbio logs a line before it.
	br := bufio.NewReader(out)
	var line, addr string
	ok := false
	for range 10 {
		if line, err = br.ReadString('\n'); err != nil {
			break
		}
		if addr, ok = strings.CutPrefix(strings.TrimSpace(line), "READY "); ok {
			break
		}
	}
	go io.Copy(io.Discard, br)
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("server %s did not start: %q %v", kind, line, err)
	}
	return &child{cmd: cmd, addr: addr}, nil
}

func (c *child) stop() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// waitForOthers waits while another engineer's benchmark runs (at most
// ten minutes), as the machine's two cores are shared. This benchmark's
// own processes (evmachine-bench-bin-ws, and whatever runs it) do not count.
func waitForOthers() {
	for i := 0; i < 120; i++ {
		out, _ := exec.Command("pgrep", "-f", "evmachine-bench-bin|wrk|loadgen|bench/redis|bench/memcache").Output()
		others := 0
		for _, pid := range strings.Fields(string(out)) {
			cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
			if !strings.Contains(string(cmdline), "evmachine-bench-bin-ws") {
				others++
			}
		}
		if others == 0 {
			return
		}
		if i == 0 {
			fmt.Fprintln(os.Stderr, "waiting for another benchmark to finish...")
		}
		time.Sleep(5 * time.Second)
	}
}
