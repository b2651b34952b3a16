package main

import (
	"time"

	"github.com/evmachine/evmachine/bench/internal/loadgen"
)

// fixture builds Results with known figures: three runs of every scenario
// for evmachine, gnet and gostd, Ruby skipped. Per-server figures are the
// bases below, and the runs' figures are the base times 0.9, 1.0 and 1.1,
// so medians are the base figures exactly and every spread is ±10 %.
func fixture() *Results { return fixtureSpread(0.1) }

// fixtureSpread is fixture with runs at base times 1-spread, 1, 1+spread.
func fixtureSpread(spread float64) *Results {
	res := &Results{
		Machine:   Machine{CPU: "Test CPU 9000", Cores: 2, Kernel: "6.1.0-test", GoVersion: "go1.26", OS: "linux/amd64", Pinning: "server on CPU 0", NoFile: "20000 (hard 20000)", Somaxconn: "4096"},
		Command:   "go run ./bench",
		Started:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Finished:  time.Date(2026, 1, 2, 3, 34, 5, 0, time.UTC),
		Runs:      3,
		Scenarios: scenarios(false),
	}
	all := servers(2)
	for _, s := range all {
		info := ServerInfo{Server: s, Version: "v-test"}
		switch s.Name {
		case subject, refGnet, refStd:
		case "em":
			info.Skipped = errSkipped.Error() + ": ruby is not installed"
		default:
			continue
		}
		res.Servers = append(res.Servers, info)
	}
	// rate, cpu µs/rt, idle KiB/conn, p99 µs, loadgen share
	type base struct{ rate, cpu, kib, p99, lg float64 }
	bases := map[string]base{
		subject: {120_000, 8, 0.25, 900, 0.95},
		refGnet: {100_000, 12, 0.5, 1000, 0.80},
		refStd:  {80_000, 11, 8, 2000, 0.70},
	}
	for _, sc := range res.Scenarios {
		for run := 1; run <= 3; run++ {
			f := []float64{1 - spread, 1, 1 + spread}[run-1]
			for _, name := range []string{subject, refGnet, refStd} {
				b := bases[name]
				r := loadgen.Result{Conns: sc.Conns, Connected: sc.Conns, ConnectSeconds: 0.5 * f,
					ServerRSSBase: 4 << 20, ServerRSSEnd: 4<<20 + int64(b.kib*f*1024*float64(sc.Conns))}
				if !sc.Idle {
					r.WindowSeconds = 10
					r.RTPerSec = b.rate * f
					r.RoundTrips = int64(r.RTPerSec * 10)
					r.MBPerSec = r.RTPerSec * float64(sc.Size) / 1e6
					r.ServerCPUSeconds = b.cpu * f * float64(r.RoundTrips) / 1e6
					r.P50us, r.P99us, r.P999us, r.MaxUs = b.p99/2*f, b.p99*f, b.p99*2*f, b.p99*3*f
					r.LoadgenCPUShare = b.lg
					r.ServerVolCS = 1000
					r.OtherCPU = 0.05
				}
				res.Records = append(res.Records, RunRecord{Scenario: sc.ID, Server: name, Run: run, Result: r})
			}
		}
	}
	return res
}

// fixtureTLS builds Results for the TLS suite: three runs of T1-T4 for
// evmtls and gotls, the base figures times 0.9, 1.0 and 1.1.
func fixtureTLS() *Results {
	res := &Results{
		Machine:   Machine{CPU: "Test CPU 9000", Cores: 2, Kernel: "6.1.0-test", GoVersion: "go1.26", OS: "linux/amd64", Pinning: "server on CPU 0", NoFile: "20000 (hard 20000)", Revision: "abc123"},
		Command:   "go run ./bench -servers evmtls,gotls -scenarios T1,T2,T3,T4",
		Started:   time.Date(2026, 1, 3, 3, 4, 5, 0, time.UTC),
		Finished:  time.Date(2026, 1, 3, 3, 14, 5, 0, time.UTC),
		Runs:      3,
		Scenarios: tlsScenarios(false),
	}
	for _, s := range servers(2) {
		if s.TLS {
			res.Servers = append(res.Servers, ServerInfo{Server: s, Version: "v-test"})
		}
	}
	// rate, cpu µs/rt, idle KiB/conn, handshakes/s, cpu µs/handshake
	type base struct{ rate, cpu, kib, hs, hsCPU float64 }
	bases := map[string]base{
		subjectTLS: {50_000, 16, 14, 1500, 480},
		refTLS:     {45_000, 20, 30, 1600, 450},
	}
	for _, sc := range res.Scenarios {
		for run := 1; run <= 3; run++ {
			f := []float64{0.9, 1, 1.1}[run-1]
			for _, name := range []string{subjectTLS, refTLS} {
				b := bases[name]
				r := loadgen.Result{Conns: sc.Conns, Connected: sc.Conns, ServerRSSBase: 4 << 20,
					ServerRSSEnd: 4<<20 + int64(b.kib*f*1024*float64(sc.Conns)), TLSVersion: "TLS 1.3", TLSGroup: "X25519MLKEM768"}
				switch {
				case sc.Churn:
					r.WindowSeconds = 10
					r.HandshakesPerSec = b.hs * f
					r.Handshakes = int64(r.HandshakesPerSec * 10)
					r.RoundTrips, r.RTPerSec = r.Handshakes, r.HandshakesPerSec
					r.ServerCPUSeconds = b.hsCPU * float64(r.Handshakes) / 1e6
					r.P50us, r.P99us = 40_000, 90_000
					r.LoadgenCPUShare, r.LoadgenCPUSeconds = 0.95, 9.5
				case !sc.Idle:
					r.WindowSeconds = 10
					r.RTPerSec = b.rate * f
					r.RoundTrips = int64(r.RTPerSec * 10)
					r.ServerCPUSeconds = b.cpu * f * float64(r.RoundTrips) / 1e6
					r.P50us, r.P99us, r.P999us = 1000, 2000, 3000
					r.LoadgenCPUShare = 0.7
				}
				res.Records = append(res.Records, RunRecord{Scenario: sc.ID, Server: name, Run: run, Result: r})
			}
		}
	}
	return res
}
