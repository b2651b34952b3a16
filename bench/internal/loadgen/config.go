// Package loadgen is the benchmark's load generator, built on evmachine's
// own reactor: one loop, one goroutine, up to ~19,000 connections to one
// echo server, doing honest ping-pong (each connection sends its next
// request only after the whole reply came back) and checking every echoed
// byte. It also samples the server's and its own /proc counters at the
// edges of the measured window, so that server CPU per round trip and the
// generator's own CPU use are measured over exactly the same interval.
//
// With Config.TLS every connection is a TLS client (reactor.WithTLS on
// Connect) that verifies the server's certificate against the given roots;
// the ping-pong and its checks are the same, on the plaintext. With
// Config.Churn the generator measures new connections instead of round
// trips: each connection is opened, handshaken, does one round trip and is
// closed, and another takes its place.
//
// Run blocks the calling goroutine (it runs the reactor); the emit callback
// it is given is called on that same goroutine.
package loadgen

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Config is one load-generator run.
type Config struct {
	Addr  string // server address, host:port
	Conns int    // connections to hold
	Size  int    // bytes per request (and per reply)
	// Idle: after each connection's first round trip, send nothing more;
	// after Settle, sample the server's memory and finish (scenario S3).
	Idle     bool
	Warmup   time.Duration // ping-pong before the measured window
	Duration time.Duration // the measured window
	Settle   time.Duration // Idle only: quiet time before the memory sample
	// Parallel bounds connections that are connecting or waiting for their
	// first reply, so that no server's accept queue overflows (an overflow
	// costs a 1 s SYN retransmit and measures the kernel, not the server).
	Parallel       int
	ConnectTimeout time.Duration // for all connections together
	ServerPID      int           // 0: no server figures
	// LocalAddrs spreads the connections over these local addresses
	// ("ip:0"), round robin; empty: the kernel's choice. One address
	// gives one ephemeral port range (about 28,000 ports), and past half
	// of it every connect scans the used ports: 19,000 connections need
	// at least two.
	LocalAddrs []string
	Progress   time.Duration // how often to emit progress (0: 1 s)
	// TLS, when set, makes every connection a TLS client.
	TLS *TLSConfig `json:",omitempty"`
	// Churn: keep Conns connections in their life at once, each opened,
	// (TLS-)handshaken, one round trip, closed (with a reset, so that no
	// port waits in TIME_WAIT), and replaced at once; Warmup, then the
	// Duration window counts the connections that completed. Scenario T4.
	Churn bool `json:",omitempty"`
}

// TLSConfig is the client side of a TLS run, in a form that travels as
// JSON to the load-generator process.
type TLSConfig struct {
	// RootsPEM holds the certificates (PEM) the server's certificate must
	// chain to; verification is never turned off.
	RootsPEM []byte
	// ServerName is the name the server's certificate must carry (and
	// the SNI sent).
	ServerName string
}

// clientConfig returns the crypto/tls client config of t.
func (t *TLSConfig) clientConfig() (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(t.RootsPEM) {
		return nil, errors.New("loadgen: TLS: no certificate in RootsPEM")
	}
	return &tls.Config{RootCAs: pool, ServerName: t.ServerName, MinVersion: tls.VersionTLS12}, nil
}

// Validate reports a Config that cannot run.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("no address"))
	}
	if c.Conns < 1 {
		errs = append(errs, fmt.Errorf("conns %d < 1", c.Conns))
	}
	if c.Size < 16 {
		errs = append(errs, fmt.Errorf("size %d < 16 (a request carries an 8-byte sequence number and the connection id)", c.Size))
	}
	if !c.Idle && c.Duration <= 0 {
		errs = append(errs, errors.New("ping-pong needs a duration"))
	}
	if c.TLS != nil && c.TLS.ServerName == "" {
		errs = append(errs, errors.New("TLS without a server name"))
	}
	if c.Churn && c.Idle {
		errs = append(errs, errors.New("churn and idle exclude each other"))
	}
	if c.Parallel < 1 {
		errs = append(errs, fmt.Errorf("parallel %d < 1", c.Parallel))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("loadgen: bad config: %w", err)
	}
	return nil
}

// Result is what one run measured. Latencies are in microseconds; server
// figures are zero when no ServerPID was given.
type Result struct {
	Conns          int     `json:"conns"`           // asked for
	Connected      int     `json:"connected"`       // completed their first round trip
	ConnectSeconds float64 `json:"connect_seconds"` // until every connection had its first reply

	WindowSeconds float64 `json:"window_seconds"`
	RoundTrips    int64   `json:"round_trips"` // completed inside the window
	RTPerSec      float64 `json:"rt_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"` // echoed payload, one direction, 10^6 bytes/s
	P50us         float64 `json:"p50_us"`
	P99us         float64 `json:"p99_us"`
	P999us        float64 `json:"p999_us"`
	MaxUs         float64 `json:"max_us"`

	Errors        int64    `json:"errors"`         // every failure below, summed
	ConnectErrors int64    `json:"connect_errors"` // connections that never got their first reply
	Mismatches    int64    `json:"mismatches"`     // replies whose bytes differ from the request (or overrun it)
	Dropped       int64    `json:"dropped"`        // established connections lost before the end
	ErrorSamples  []string `json:"error_samples,omitempty"`

	ServerCPUSeconds float64 `json:"server_cpu_seconds"` // utime+stime over the window
	ServerRSSBase    int64   `json:"server_rss_base"`    // bytes, before the first connect
	ServerRSSEnd     int64   `json:"server_rss_end"`     // bytes, at the end of the window (or after Settle)
	ServerThreads    int     `json:"server_threads"`
	ServerVolCS      int64   `json:"server_vol_cs"` // context switches over the window, all threads
	ServerInvolCS    int64   `json:"server_invol_cs"`

	// Churn only: connections that completed (connect, handshake, one
	// round trip) inside the window; RoundTrips counts the same, and the
	// latency percentiles are of the whole life of a connection, from
	// the connect to the echoed reply.
	Handshakes       int64   `json:"handshakes,omitempty"`
	HandshakesPerSec float64 `json:"handshakes_per_sec,omitempty"`
	// TLSVersion and TLSGroup say what the first TLS connection
	// negotiated (e.g. "TLS 1.3", "X25519MLKEM768").
	TLSVersion string `json:"tls_version,omitempty"`
	TLSGroup   string `json:"tls_group,omitempty"`

	LoadgenCPUSeconds float64 `json:"loadgen_cpu_seconds"`
	LoadgenCPUShare   float64 `json:"loadgen_cpu_share"` // of one core, over the window
	// OtherCPU is the CPU everything else on the machine used over the
	// window, in cores (0.5: half a core): the noise the figures carry.
	OtherCPU float64 `json:"other_cpu"`
}

// Progress is emitted while the run goes on.
type Progress struct {
	Phase     string  `json:"phase"`   // connecting, warmup, measuring, settling
	Elapsed   float64 `json:"elapsed"` // seconds in this phase
	Connected int     `json:"connected"`
	Rate      float64 `json:"rate"` // round trips per second since the last progress
	Errors    int64   `json:"errors"`
}
