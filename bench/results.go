package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/evmachine/evmachine/bench/internal/loadgen"
	"github.com/evmachine/evmachine/bench/internal/stats"
)

// busyShare is the load generator's CPU share above which a run is flagged:
// the generator, not the server, may have set the pace.
const busyShare = 0.90

// Results is everything one suite run measured; it is saved as
// results.json, from which the report and the chart are drawn.
type Results struct {
	Machine   Machine      `json:"machine"`
	Command   string       `json:"command"`
	Started   time.Time    `json:"started"`
	Finished  time.Time    `json:"finished"`
	Quick     bool         `json:"quick"`
	Runs      int          `json:"runs"`
	Scenarios []Scenario   `json:"scenarios"`
	Servers   []ServerInfo `json:"servers"`
	Records   []RunRecord  `json:"records"`
}

// ServerInfo is a server as the report shows it.
type ServerInfo struct {
	Server
	Version string `json:"version,omitempty"`
	Skipped string `json:"skipped,omitempty"` // why it did not run
}

// RunRecord is one run of one scenario against one server.
type RunRecord struct {
	Scenario string         `json:"scenario"`
	Server   string         `json:"server"`
	Run      int            `json:"run"`
	Result   loadgen.Result `json:"result"`
	Err      string         `json:"error,omitempty"` // the run could not be done
}

// Busy reports whether the load generator was above busyShare of its core.
func (r RunRecord) Busy() bool { return r.Result.LoadgenCPUShare > busyShare }

// Metric extracts one figure from a run; NaN when the run has none.
type Metric func(RunRecord) float64

// The figures the report aggregates.
var (
	mRate    Metric = func(r RunRecord) float64 { return ifWindow(r, r.Result.RTPerSec) }
	mMBps    Metric = func(r RunRecord) float64 { return ifWindow(r, r.Result.MBPerSec) }
	mP50     Metric = func(r RunRecord) float64 { return ifRT(r, r.Result.P50us) }
	mP99     Metric = func(r RunRecord) float64 { return ifRT(r, r.Result.P99us) }
	mP999    Metric = func(r RunRecord) float64 { return ifRT(r, r.Result.P999us) }
	mConnect Metric = func(r RunRecord) float64 { return ifOK(r, r.Result.ConnectSeconds) }
	// mCPUPerRT is server CPU µs per round trip, which is also server CPU
	// seconds per million round trips.
	mCPUPerRT Metric = func(r RunRecord) float64 {
		if r.Result.RoundTrips == 0 {
			return math.NaN()
		}
		return r.Result.ServerCPUSeconds / float64(r.Result.RoundTrips) * 1e6
	}
	mServerCPU Metric = func(r RunRecord) float64 {
		return ifWindow(r, r.Result.ServerCPUSeconds/r.Result.WindowSeconds*100)
	}
	mRSSPerConn Metric = func(r RunRecord) float64 {
		if r.Result.Connected == 0 || r.Result.ServerRSSEnd == 0 {
			return math.NaN()
		}
		return float64(r.Result.ServerRSSEnd-r.Result.ServerRSSBase) / 1024 / float64(r.Result.Connected)
	}
	mRSSMiB  Metric = func(r RunRecord) float64 { return ifOK(r, float64(r.Result.ServerRSSEnd)/(1<<20)) }
	mCtxPerS Metric = func(r RunRecord) float64 {
		return ifWindow(r, float64(r.Result.ServerVolCS+r.Result.ServerInvolCS)/r.Result.WindowSeconds)
	}
	mLoadgenCPU Metric = func(r RunRecord) float64 { return ifWindow(r, r.Result.LoadgenCPUShare*100) }
	mOtherCPU   Metric = func(r RunRecord) float64 { return ifWindow(r, r.Result.OtherCPU) }
	mErrors     Metric = func(r RunRecord) float64 {
		if r.Err != "" && r.Result.Errors == 0 {
			return 1
		}
		return float64(r.Result.Errors)
	}
	mMismatch Metric = func(r RunRecord) float64 { return float64(r.Result.Mismatches) }
	mThreads  Metric = func(r RunRecord) float64 { return ifOK(r, float64(r.Result.ServerThreads)) }
	// Churn runs (T4): new connections per second, and server CPU µs per
	// connection (accept, handshake, one round trip, close).
	mHandshakes Metric = func(r RunRecord) float64 { return ifWindow(r, r.Result.HandshakesPerSec) }
	mCPUPerHS   Metric = func(r RunRecord) float64 {
		if r.Err != "" || r.Result.Handshakes == 0 {
			return math.NaN()
		}
		return r.Result.ServerCPUSeconds / float64(r.Result.Handshakes) * 1e6
	}
	// mLoadgenPerHS is the load generator's CPU per new connection: the
	// client's half of the handshake, which caps T4 when it passes the
	// server's.
	mLoadgenPerHS Metric = func(r RunRecord) float64 {
		if r.Err != "" || r.Result.Handshakes == 0 {
			return math.NaN()
		}
		return r.Result.LoadgenCPUSeconds / float64(r.Result.Handshakes) * 1e6
	}
)

func ifOK(r RunRecord, v float64) float64 {
	if r.Err != "" {
		return math.NaN()
	}
	return v
}

func ifWindow(r RunRecord, v float64) float64 {
	if r.Err != "" || r.Result.WindowSeconds == 0 {
		return math.NaN()
	}
	return v
}

func ifRT(r RunRecord, v float64) float64 {
	if r.Err != "" || r.Result.RoundTrips == 0 {
		return math.NaN()
	}
	return v
}

// records returns the runs of one scenario and server.
func (res *Results) records(scenario, server string) []RunRecord {
	var out []RunRecord
	for _, r := range res.Records {
		if r.Scenario == scenario && r.Server == server {
			out = append(out, r)
		}
	}
	return out
}

// Summary aggregates one metric over the runs of a scenario and server.
func (res *Results) Summary(scenario, server string, m Metric) stats.Summary {
	recs := res.records(scenario, server)
	vs := make([]float64, len(recs))
	for i, r := range recs {
		vs[i] = m(r)
	}
	return stats.Summarize(vs)
}

// Median is Summary's median.
func (res *Results) Median(scenario, server string, m Metric) float64 {
	return res.Summary(scenario, server, m).Median
}

// Total sums a metric over all runs (used for errors: one bad run counts).
func (res *Results) Total(scenario, server string, m Metric) float64 {
	t := 0.0
	for _, r := range res.records(scenario, server) {
		t += m(r)
	}
	return t
}

// AnyBusy reports whether the load generator was busy in any run.
func (res *Results) AnyBusy(scenario, server string) bool {
	for _, r := range res.records(scenario, server) {
		if r.Busy() {
			return true
		}
	}
	return false
}

// ranFor lists the servers that were not skipped and run sc.
func (res *Results) ranFor(sc Scenario) []ServerInfo {
	var out []ServerInfo
	for _, s := range res.ran() {
		if runs(sc, s.Server) {
			out = append(out, s)
		}
	}
	return out
}

func (res *Results) server(name string) (ServerInfo, bool) {
	for _, s := range res.Servers {
		if s.Name == name {
			return s, true
		}
	}
	return ServerInfo{}, false
}

// ran lists the servers that were not skipped.
func (res *Results) ran() []ServerInfo {
	var out []ServerInfo
	for _, s := range res.Servers {
		if s.Skipped == "" {
			out = append(out, s)
		}
	}
	return out
}

// The plain suite (S1-S5), the TLS suite (T1-T4) and the group suite
// (S2M, S2D) are run and saved apart, each with its own command line, date
// and commit, so that running one does not throw away the others'
// figures; RESULTS.md shows them all.
const (
	resultsFile      = "results.json"
	resultsTLSFile   = "results-tls.json"
	resultsGroupFile = "results-group.json"
)

// part returns the part of res that belongs to one suite (suitePlain,
// suiteTLS, suiteGroup): its scenarios, the servers that run them and
// their records. It is nil when res has no scenario of that suite.
func (res *Results) part(suite string) *Results {
	if res == nil {
		return nil
	}
	out := *res
	out.Scenarios, out.Servers, out.Records = nil, nil, nil
	ids := map[string]bool{}
	for _, sc := range res.Scenarios {
		if sc.suite() == suite {
			out.Scenarios = append(out.Scenarios, sc)
			ids[sc.ID] = true
		}
	}
	if len(out.Scenarios) == 0 {
		return nil
	}
	for _, s := range res.Servers {
		if slices.ContainsFunc(out.Scenarios, func(sc Scenario) bool { return runs(sc, s.Server) }) {
			out.Servers = append(out.Servers, s)
		}
	}
	for _, r := range res.Records {
		if ids[r.Scenario] {
			out.Records = append(out.Records, r)
		}
	}
	return &out
}

// firstTLS returns what the first TLS run negotiated, e.g. "TLS 1.3,
// X25519MLKEM768", or "".
func (res *Results) firstTLS() string {
	for _, r := range res.Records {
		if r.Result.TLSVersion != "" {
			return r.Result.TLSVersion + ", key exchange " + r.Result.TLSGroup
		}
	}
	return ""
}

func saveJSON(path string, res *Results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func loadJSON(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	var res Results
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return &res, nil
}
