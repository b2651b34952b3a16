package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scenario is one load shape, run against every selected server.
type Scenario struct {
	ID       string // S1..S5, T1..T4
	Title    string
	Conns    int // Churn: connections in their life at once
	Size     int
	Idle     bool          // S3, T3: connect, one round trip each, then hold
	Warmup   time.Duration // ping-pong before the measured window
	Duration time.Duration // the measured window
	Settle   time.Duration // Idle: quiet time before the memory sample
	TLS      bool          `json:",omitempty"` // T1-T4: TLS clients, run against the TLS servers
	Churn    bool          `json:",omitempty"` // T4: new connections, each one round trip (loadgen.Config.Churn)
	// Suite is the set of scenarios the scenario is saved and reported
	// with, when it is neither the plain one nor the TLS one (suiteGroup).
	Suite string `json:",omitempty"`
	// Unpinned: the server is not pinned, its threads float over every
	// CPU (the load generator stays on CPU 1).
	Unpinned bool `json:",omitempty"`
	// Servers, when set, are the only servers that run the scenario
	// (by name); else every server of its kind that is not Only.
	Servers []string `json:",omitempty"`
}

// The suites, each saved in a file of its own (resultsFile,
// resultsTLSFile, resultsGroupFile) so that running one keeps the others'
// figures.
const (
	suitePlain = "plain" // S1-S5
	suiteTLS   = "tls"   // T1-T4
	suiteGroup = "group" // S2M, S2D: many loops, and the slow-callback detector's cost
)

// suite names the scenario's suite.
func (sc Scenario) suite() string {
	switch {
	case sc.Suite != "":
		return sc.Suite
	case sc.TLS:
		return suiteTLS
	}
	return suitePlain
}

// runs reports whether server s runs scenario sc: s is named by sc, or sc
// names none and s is of its kind (TLS or not) and not Only.
func runs(sc Scenario, s Server) bool {
	if len(sc.Servers) > 0 {
		return slices.Contains(sc.Servers, s.Name)
	}
	return s.TLS == sc.TLS && !s.Only
}

// scenarios returns S1-S5 as the issue defines them; quick shortens the
// windows (the connection counts stay, since they are the point).
func scenarios(quick bool) []Scenario {
	warm, dur, settle := 2*time.Second, 10*time.Second, 3*time.Second
	if quick {
		warm, dur, settle = 500*time.Millisecond, 2*time.Second, time.Second
	}
	return []Scenario{
		{ID: "S1", Title: "100 connections, 64-byte ping-pong", Conns: 100, Size: 64, Warmup: warm, Duration: dur},
		{ID: "S2", Title: "10,000 connections, 64-byte ping-pong", Conns: 10_000, Size: 64, Warmup: warm, Duration: dur},
		{ID: "S3", Title: "10,000 idle connections: server memory", Conns: 10_000, Size: 64, Idle: true, Settle: settle},
		{ID: "S4", Title: "1 connection, 16 KiB ping-pong", Conns: 1, Size: 16 << 10, Warmup: warm, Duration: dur},
		{ID: "S5", Title: "19,000 connections, 64-byte ping-pong", Conns: 19_000, Size: 64, Warmup: warm, Duration: dur},
	}
}

// tlsScenarios returns T1-T4, the TLS scenarios of issue 15, windows as
// scenarios gives them.
func tlsScenarios(quick bool) []Scenario {
	warm, dur, settle := 2*time.Second, 10*time.Second, 3*time.Second
	if quick {
		warm, dur, settle = 500*time.Millisecond, 2*time.Second, time.Second
	}
	return []Scenario{
		{ID: "T1", Title: "TLS, 1,000 connections, 64-byte ping-pong", Conns: 1_000, Size: 64, Warmup: warm, Duration: dur, TLS: true},
		{ID: "T2", Title: "TLS, 10,000 connections, 64-byte ping-pong", Conns: 10_000, Size: 64, Warmup: warm, Duration: dur, TLS: true},
		{ID: "T3", Title: "TLS, 10,000 idle connections: server memory", Conns: 10_000, Size: 64, Idle: true, Settle: settle, TLS: true},
		{ID: "T4", Title: "TLS, new connections: 64 at a time, each handshaken, one 64-byte round trip, closed", Conns: 64, Size: 64,
			Warmup: warm, Duration: dur, TLS: true, Churn: true},
	}
}

// The group suite's servers.
const (
	subjectGroup = "evmachine-group" // bench/servers/evmgroup, one loop per core
	refGnetMC    = "gnet-mc"
	slowOff      = "evmslow-off" // bench/servers/evmslow without the detector
	slowOn       = "evmslow"     // the same with -slow-threshold 100ms
)

// groupScenarios returns issue 17's scenarios: S2M, S2 with the server
// unpinned on every core (evmachine's Group against gnet's multicore mode
// and Go's goroutine per connection), and S2D, S2 on one core with the
// blocked-loop detector on against the same server with it off. Windows
// as scenarios gives them.
func groupScenarios(quick bool) []Scenario {
	warm, dur := 2*time.Second, 10*time.Second
	if quick {
		warm, dur = 500*time.Millisecond, 2*time.Second
	}
	return []Scenario{
		{ID: "S2M", Title: "10,000 connections, 64-byte ping-pong, the server unpinned on every core", Conns: 10_000, Size: 64,
			Warmup: warm, Duration: dur, Suite: suiteGroup, Unpinned: true, Servers: []string{subjectGroup, refGnetMC, refStd}},
		{ID: "S2D", Title: "10,000 connections, 64-byte ping-pong, one core: the slow-callback detector on vs off", Conns: 10_000, Size: 64,
			Warmup: warm, Duration: dur, Suite: suiteGroup, Servers: []string{slowOff, slowOn}},
	}
}

// allScenarios is every scenario the suite knows, in report order.
func allScenarios(quick bool) []Scenario {
	return slices.Concat(scenarios(quick), tlsScenarios(quick), groupScenarios(quick))
}

// ServerKind says how a server is started.
type ServerKind int

const (
	kindGo   ServerKind = iota // a Go main package, built once with go build
	kindRuby                   // bench/servers/em_echo.rb
	kindNode                   // bench/servers/node_echo.js
)

// Server is one echo server under test.
type Server struct {
	Name  string // flag and file name
	Label string // as the report prints it
	Kind  ServerKind
	Pkg   string   // kindGo: package path relative to the module root
	Args  []string // extra arguments after the address
	Note  string   // one line for the report
	TLS   bool     `json:",omitempty"` // a TLS server (-cert, -key): runs the TLS scenarios only
	Only  bool     `json:",omitempty"` // runs only the scenarios that name it (Scenario.Servers)
}

// Reference names: the ratio columns are against these.
const (
	refGnet = "gnet"
	refStd  = "gostd"
	subject = "evmachine"
	// The TLS scenarios compare evmachine's TLS stage with Go's crypto/tls.
	subjectTLS = "evmtls"
	refTLS     = "gotls"
)

// servers returns every server the suite knows, in report order. cores is
// the machine's CPU count, the loops gnet's multicore mode gets.
func servers(cores int) []Server {
	return []Server{
		{Name: subject, Label: "evmachine (1 loop)", Kind: kindGo, Pkg: "./examples/echo",
			Note: "examples/echo: one reactor, the loop's shared read buffer echoed straight back"},
		{Name: subjectGroup, Label: fmt.Sprintf("evmachine Group (%d loops)", cores), Kind: kindGo, Pkg: "./bench/servers/evmgroup",
			Args: []string{"-loops", fmt.Sprint(cores)}, Only: true,
			Note: fmt.Sprintf("bench/servers/evmgroup: reactor.Group of %d reactors (one per machine core), each with its own SO_REUSEPORT listener, echo as examples/echo", cores)},
		{Name: refGnet, Label: "gnet v2 (1 loop)", Kind: kindGo, Pkg: "./bench/servers/gnet",
			Note: "gnet's echo example, default options (one event loop)"},
		{Name: "gnet-mc", Label: fmt.Sprintf("gnet v2 (multicore, %d loops)", cores), Kind: kindGo, Pkg: "./bench/servers/gnet",
			Args: []string{"-multicore", "-loops", fmt.Sprint(cores)},
			Note: fmt.Sprintf("gnet with WithMulticore and %d event loops (one per machine core), squeezed onto the server's core", cores)},
		{Name: refStd, Label: "Go net (goroutine/conn)", Kind: kindGo, Pkg: "./bench/servers/gostd",
			Note: "Go standard library, one goroutine and a 4 KiB buffer per connection"},
		{Name: "em", Label: "EventMachine 1.3 (Ruby)", Kind: kindRuby,
			Note: "bench/servers/em_echo.rb: EM.epoll, receive_data -> send_data"},
		{Name: "node", Label: "Node net", Kind: kindNode,
			Note: "bench/servers/node_echo.js: net.createServer, 'data' -> write"},
		{Name: slowOff, Label: "evmachine, detector off", Kind: kindGo, Pkg: "./bench/servers/evmslow", Only: true,
			Note: "bench/servers/evmslow: examples/echo's server (one reactor), WithSlowCallback not set"},
		{Name: slowOn, Label: "evmachine, detector on (100 ms)", Kind: kindGo, Pkg: "./bench/servers/evmslow",
			Args: []string{"-slow-threshold", "100ms"}, Only: true,
			Note: "the same binary with -slow-threshold 100ms: reactor.WithSlowCallback(100ms, a slog warning per report)"},
		{Name: subjectTLS, Label: "evmachine TLS (1 loop)", Kind: kindGo, Pkg: "./bench/servers/evmtls", TLS: true,
			Note: "bench/servers/evmtls: one reactor, Listen with reactor.WithTLS (handshakes on the reactor's bounded goroutines, records on the loop), echo"},
		{Name: refTLS, Label: "Go crypto/tls (goroutine/conn)", Kind: kindGo, Pkg: "./bench/servers/gotls", TLS: true,
			Note: "bench/servers/gotls: tls.Listen, one goroutine and a 4 KiB buffer per connection, Read then Write"},
	}
}

// selectNames returns the items of all whose name is listed in csv (all of
// them for "" or "all"), keeping all's order; an unknown name is an error.
func selectNames[T any](all []T, name func(T) string, csv, what string) ([]T, error) {
	if csv == "" || csv == "all" {
		return all, nil
	}
	want := strings.Split(csv, ",")
	var known []string
	for _, it := range all {
		known = append(known, name(it))
	}
	for _, w := range want {
		if !slices.Contains(known, strings.TrimSpace(w)) {
			return nil, fmt.Errorf("unknown %s %q (known: %s)", what, w, strings.Join(known, ", "))
		}
	}
	var out []T
	for _, it := range all {
		if slices.ContainsFunc(want, func(w string) bool { return strings.TrimSpace(w) == name(it) }) {
			out = append(out, it)
		}
	}
	return out, nil
}
