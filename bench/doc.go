// Command bench is evmachine's C10K benchmark: it measures evmachine's echo
// server (examples/echo, one loop) against gnet v2 (one loop and
// multicore), Go's goroutine-per-connection server, EventMachine 1.3 and
// Node, in the same run on the same machine, and writes RESULTS.md,
// results.svg and results.json.
//
//	go run ./bench                    # the full suite, 3 runs each (about 30 min)
//	go run ./bench -quick             # a short version (about 2 min), written to a temp dir
//	go run ./bench -servers evmachine,gnet -scenarios S2,S3 -runs 5
//	go run ./bench -from bench/results.json   # redraw the report from saved runs
//	go run ./bench -servers evmtls,gotls -scenarios T1,T2,T3,T4   # the TLS suite
//
// Scenarios: S1 100 connections, 64-byte ping-pong; S2 10,000 connections,
// 64-byte ping-pong; S3 10,000 idle connections (server memory); S4 one
// connection, 16 KiB ping-pong; S5 19,000 connections, 64-byte ping-pong.
//
// The group scenarios (issue 17), saved apart in results-group.json: S2M is
// S2 with the server not pinned, its threads on every core, run against
// evmachine's reactor.Group (servers/evmgroup, one loop per core), gnet's
// multicore mode and Go's goroutine per connection; the load generator
// stays on CPU 1 and competes with the server for the cores, so the figure
// to compare is server CPU per round trip. S2D is S2 on one core against
// servers/evmslow, examples/echo's server, with reactor.WithSlowCallback
// (100 ms) and without: the blocked-loop detector's cost. GROUP-PROFILE.md,
// hand-written, is drawn into that section as TLS-PROFILE.md is into the
// TLS one.
//
//	go run ./bench -scenarios S2M,S2D    # the group suite (about 4 min)
//
// TLS scenarios, run against the TLS servers only: T1 1,000 and T2 10,000
// connections of 64-byte ping-pong over TLS, T3 10,000 idle TLS
// connections (server memory), T4 new TLS connections, 64 at a time, each
// handshaken, one round trip and closed (new connections per second and
// server CPU per connection). The runner makes an ECDSA P-256 certificate
// per suite run; the load generator verifies it against a pool holding it.
// The plain and the TLS results are saved apart (results.json,
// results-tls.json) and RESULTS.md shows both, so running one suite keeps
// the other's figures; TLS-PROFILE.md, hand-written, is drawn into the TLS
// section.
//
// Every server is a separate process, started per run on a free loopback
// port and stopped by PID. The load generator (internal/loadgen) is built
// on evmachine's reactor and runs as a second process: this program again,
// in its load-generator role. With taskset, the server runs on CPU 0 and
// the load generator on CPU 1. The runner reads the figures it cannot
// measure on the wire (CPU time, RSS, context switches) from /proc.
//
// Peer servers live in servers/: gnet/ and gostd/ (Go), em_echo.rb (Ruby,
// Debian's ruby-eventmachine) and node_echo.js; Ruby and Node are skipped,
// with a line in the report, when not installed. The TLS servers are
// evmtls/ (evmachine, reactor.WithTLS) and gotls/ (crypto/tls, a goroutine
// per connection); gnet has no TLS and runs no TLS scenario. The group
// suite's servers are evmgroup/ (reactor.Group) and evmslow/ (examples/echo's
// server with -slow-threshold).
//
// Other comparisons are commands of their own in this module: bench/http
// (evmachine's HTTP server against net/http, fasthttp and nbhttp under wrk)
// and bench/redis (the Redis client against go-redis and rueidis).
package main
