// Command proxy measures evmachine's proxy against a direct connection and
// against the proxy a Go programmer writes with the standard library (two
// goroutines per client, each an io.Copy), over loopback:
//
//  1. bulk: one connection, 64 KiB writes, MB/s: direct, relay with
//     splice, relay without splice, io.Copy proxy;
//  2. ping-pong: 1,000 connections each keeping one 64-byte message in
//     flight through the proxy to an echo server: round trips per second,
//     the proxy's CPU time per round trip, its RSS (VmRSS at the end of the
//     run, VmHWM its peak) and context switches.
//
// Each proxy runs in its own process (this binary, re-executed with
// -serve), so its RSS is its own; the clients, the sink and the echo server
// share the driver process. Modes are interleaved within each round and the
// tables report the median of the rounds.
//
//	go run ./bench/proxy                 # 5 rounds
//	go run ./bench/proxy -rounds 3 -bulk-bytes 1073741824 -conns 1000 -duration 5s
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

var proxyModes = []string{"relay", "relay-nosplice", "iocopy"}

func main() {
	serveMode := flag.String("serve", "", "internal: run this proxy (relay, relay-nosplice, iocopy) and print READY <addr>")
	backend := flag.String("backend", "", "internal: the backend of -serve")
	rounds := flag.Int("rounds", 5, "rounds; each runs every mode once")
	bulkBytes := flag.Int64("bulk-bytes", 2<<30, "bytes per bulk transfer")
	conns := flag.Int("conns", 1000, "ping-pong connections")
	warm := flag.Duration("warmup", time.Second, "ping-pong warm-up before counting")
	dur := flag.Duration("duration", 5*time.Second, "ping-pong measurement per run")
	only := flag.String("only", "", "run only \"bulk\" or only \"pingpong\"")
	flag.Parse()
	if *serveMode != "" {
		if err := serve(*serveMode, *backend); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := drive(*rounds, *bulkBytes, *conns, *warm, *dur, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench/proxy:", err)
		os.Exit(1)
	}
}

// child is one proxy process.
type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(mode, backend string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve", mode, "-backend", backend)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s proxy did not start: %q %v", mode, line, err)
	}
	return &child{cmd: cmd, addr: addr}, nil
}

func (c *child) stop() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

func drive(rounds int, bulkBytes int64, conns int, warm, dur time.Duration, only string) error {
	sk, err := newSink()
	if err != nil {
		return err
	}
	echo, err := startReactor()
	if err != nil {
		return err
	}
	var echoAddr string
	onLoop(echo, func() {
		l, lerr := echo.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler { return echoHandler{} })
		if err = lerr; err == nil {
			echoAddr = l.Addr().String()
		}
	})
	if err != nil {
		return err
	}
	bulkMBps, bulkCPU := map[string][]float64{}, map[string][]float64{}
	pp := map[string][]pingpongResult{}
	for round := 1; round <= rounds; round++ {
		for _, mode := range append([]string{"direct"}, proxyModes...) {
			if only == "pingpong" {
				break
			}
			mb, cpu, err := runBulk(mode, sk, bulkBytes)
			if err != nil {
				return fmt.Errorf("bulk %s: %w", mode, err)
			}
			bulkMBps[mode] = append(bulkMBps[mode], mb)
			bulkCPU[mode] = append(bulkCPU[mode], cpu)
			fmt.Fprintf(os.Stderr, "round %d bulk %-15s %8.0f MB/s  proxy CPU %.2f s/GB\n", round, mode, mb, cpu)
		}
		for _, mode := range []string{"direct", "relay", "iocopy"} {
			if only == "bulk" {
				break
			}
			res, err := runPingpong(mode, echoAddr, conns, warm, dur)
			if err != nil {
				return fmt.Errorf("ping-pong %s: %w", mode, err)
			}
			pp[mode] = append(pp[mode], res)
			fmt.Fprintf(os.Stderr, "round %d ping-pong %-8s %9.0f rt/s  %5.1f µs CPU/rt  RSS %6d KiB (peak %6d)  %6.0f ctxsw/s\n",
				round, mode, res.rtps, us(res.cpuPerTrip), res.rssKiB, res.hwmKiB, res.ctxSwitchPerSec)
		}
	}
	report(rounds, bulkBytes, conns, dur, bulkMBps, bulkCPU, pp, only)
	return nil
}

// runBulk returns MB/s and the proxy's CPU seconds per GB (10^9 bytes).
func runBulk(mode string, sk *sink, total int64) (float64, float64, error) {
	target := sk.ln.Addr().String()
	if mode == "direct" {
		mb, err := bulk(target, sk, total)
		return mb, 0, err
	}
	c, err := startChild(mode, target)
	if err != nil {
		return 0, 0, err
	}
	defer c.stop()
	p0, err := sampleProc(c.cmd.Process.Pid)
	if err != nil {
		return 0, 0, err
	}
	mb, err := bulk(c.addr, sk, total)
	p1, _ := sampleProc(c.cmd.Process.Pid)
	return mb, (p1.cpu - p0.cpu).Seconds() / (float64(total) / 1e9), err
}

func runPingpong(mode, echoAddr string, conns int, warm, dur time.Duration) (pingpongResult, error) {
	if mode == "direct" {
		return pingpong(echoAddr, conns, warm, dur, 0)
	}
	c, err := startChild(mode, echoAddr)
	if err != nil {
		return pingpongResult{}, err
	}
	defer c.stop()
	return pingpong(c.addr, conns, warm, dur, c.cmd.Process.Pid)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func median[T any](xs []T, key func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = key(x)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
