//go:build linux

// Command descriptors measures evmachine's datagram sockets and SendFile
// against what a Go programmer writes with the standard library, over
// loopback, each server in its own process pinned to CPU 0 (taskset) and
// the load on CPU 1:
//
//  1. udp: echo of 64-byte datagrams. evmachine's ListenPacket, whose
//     ReceivePacket answers with WriteTo, against net.ListenUDP served by
//     one goroutine (ReadFromUDPAddrPort, WriteToUDPAddrPort). The load is
//     one goroutine keeping a window of datagrams in flight on each of
//     several connected sockets, with sendmmsg and recvmmsg so that it
//     costs less per datagram than the servers. Datagrams/s and the
//     server's CPU (utime+stime of every thread, from /proc) per datagram.
//  2. sendfile: one connection, a file of -file-bytes (in the page cache)
//     sent whole and read by the client as fast as it can: evmachine's
//     SendFile against io.Copy from an *os.File to a *net.TCPConn (which
//     uses sendfile too). MB/s and the server's CPU per MB.
//
// The two servers take turns within each round, in alternating order; the
// report gives the median of the rounds. It prints Markdown, with
// NOTES.md (hand-written: what bounds the figures) at its end, and writes
// it to -out (bench/DESCRIPTORS.md, which `go run ./bench` draws into
// RESULTS.md).
//
//	go run ./bench/descriptors                       # 5 rounds of both
//	go run ./bench/descriptors -only udp -rounds 3 -duration 3s
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
)

func main() {
	serve := flag.String("serve", "", "internal: run this server (udp-evm, udp-net, file-evm, file-net) and print READY <addr>")
	file := flag.String("file", "", "internal: the file -serve file-* sends")
	rounds := flag.Int("rounds", 5, "rounds; each runs every server once")
	dur := flag.Duration("duration", 4*time.Second, "udp: measured window per run")
	warm := flag.Duration("warmup", time.Second, "udp: warm-up before the window")
	sockets := flag.Int("sockets", 8, "udp: client sockets")
	window := flag.Int("window", 8, "udp: datagrams in flight per client socket")
	fileBytes := flag.Int64("file-bytes", 1<<30, "sendfile: bytes per transfer")
	only := flag.String("only", "", "run only \"udp\" or only \"sendfile\"")
	out := flag.String("out", "", "write the Markdown section here (default bench/DESCRIPTORS.md; \"-\": stdout only)")
	flag.Parse()
	if *serve != "" {
		if err := runServer(*serve, *file); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	cfg := config{rounds: *rounds, dur: *dur, warm: *warm, sockets: *sockets, window: *window, fileBytes: *fileBytes}
	var md strings.Builder
	if err := drive(&md, cfg, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench/descriptors:", err)
		os.Exit(1)
	}
	if root, err := childproc.ModuleRoot("."); err == nil {
		if notes, err := os.ReadFile(filepath.Join(root, "bench", "descriptors", "NOTES.md")); err == nil {
			md.Write(notes) // hand-written: what bounds the figures
		}
	}
	fmt.Print(md.String())
	if *out != "-" {
		path := *out
		if path == "" {
			path = defaultOut()
		}
		if err := os.WriteFile(path, []byte(md.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench/descriptors:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "written to", path)
	}
}

type config struct {
	rounds          int
	dur, warm       time.Duration
	sockets, window int
	fileBytes       int64
}
