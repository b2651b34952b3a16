package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/bench/internal/loadgen"
)

// fixtureGroup builds Results for the group suite: three runs of S2M
// (evmachine-group, gnet-mc, gostd) and S2D (evmslow-off, evmslow), the
// base figures times 0.9, 1.0 and 1.1.
func fixtureGroup() *Results {
	res := &Results{
		Machine:   Machine{CPU: "Test CPU 9000", Cores: 2, Kernel: "6.1.0-test", GoVersion: "go1.26", OS: "linux/amd64", Pinning: "server on CPU 0", NoFile: "20000 (hard 20000)", Revision: "abc123"},
		Command:   "go run ./bench -scenarios S2M,S2D",
		Started:   time.Date(2026, 1, 4, 3, 4, 5, 0, time.UTC),
		Finished:  time.Date(2026, 1, 4, 3, 14, 5, 0, time.UTC),
		Runs:      3,
		Scenarios: groupScenarios(false),
	}
	for _, s := range servers(2) {
		if s.Name == subjectGroup || s.Name == refGnetMC || s.Name == refStd || s.Name == slowOff || s.Name == slowOn {
			res.Servers = append(res.Servers, ServerInfo{Server: s, Version: "v-test"})
		}
	}
	type base struct{ rate, cpu float64 }
	bases := map[string]base{
		subjectGroup: {150_000, 7}, refGnetMC: {140_000, 10}, refStd: {90_000, 14},
		slowOff: {120_000, 8}, slowOn: {119_000, 8.1},
	}
	for _, sc := range res.Scenarios {
		for run := 1; run <= 3; run++ {
			f := []float64{0.9, 1, 1.1}[run-1]
			for _, name := range sc.Servers {
				b := bases[name]
				r := loadgen.Result{Conns: sc.Conns, Connected: sc.Conns, WindowSeconds: 10, ServerRSSBase: 4 << 20, ServerRSSEnd: 8 << 20}
				r.RTPerSec = b.rate * f
				r.RoundTrips = int64(r.RTPerSec * 10)
				r.ServerCPUSeconds = b.cpu * f * float64(r.RoundTrips) / 1e6
				r.LoadgenCPUShare, r.LoadgenCPUSeconds = 0.8, 8
				r.P50us, r.P99us, r.P999us = 1000, 2000, 3000
				res.Records = append(res.Records, RunRecord{Scenario: sc.ID, Server: name, Run: run, Result: r})
			}
		}
	}
	return res
}

func TestGroupScenarios(t *testing.T) {
	gs := groupScenarios(false)
	require.Len(t, gs, 2)
	s2 := scenarios(false)[1]
	for _, sc := range gs {
		assert.Equal(t, s2.Conns, sc.Conns, "%s is S2's load", sc.ID)
		assert.Equal(t, s2.Size, sc.Size, sc.ID)
		assert.Equal(t, s2.Duration, sc.Duration, sc.ID)
		assert.Equal(t, suiteGroup, sc.suite(), sc.ID)
	}
	assert.True(t, gs[0].Unpinned, "S2M: the server floats over every core")
	assert.False(t, gs[1].Unpinned, "S2D: pinned as S2")
	for _, sc := range scenarios(false) {
		assert.False(t, sc.Unpinned, "%s keeps its placement", sc.ID)
		assert.Equal(t, suitePlain, sc.suite(), sc.ID)
	}
	assert.Equal(t, suiteTLS, tlsScenarios(false)[0].suite())
}

func TestServersForGroupScenarios(t *testing.T) {
	all := servers(2)
	names := func(ss []Server) (out []string) {
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	gs := groupScenarios(false)
	assert.Equal(t, []string{subjectGroup, refGnetMC, refStd}, names(serversFor(gs[0], all)))
	assert.Equal(t, []string{slowOff, slowOn}, names(serversFor(gs[1], all)))
	plain := names(serversFor(scenarios(false)[1], all))
	for _, only := range []string{subjectGroup, slowOff, slowOn} {
		assert.NotContains(t, plain, only, "%s runs only the scenarios that name it", only)
	}
	assert.Contains(t, plain, refGnetMC, "gnet-mc still runs S1-S5")

	rn := &Runner{}
	var on, grp Server
	for _, s := range all {
		switch s.Name {
		case slowOn:
			on = s
		case subjectGroup:
			grp = s
		}
	}
	assert.Equal(t, []string{"/b/evmslow", "-addr", "127.0.0.1:9", "-slow-threshold", "100ms"}, rn.serverArgv(on, "/b/evmslow", "127.0.0.1:9"))
	assert.Equal(t, []string{"/b/evmgroup", "-addr", "127.0.0.1:9", "-loops", "2"}, rn.serverArgv(grp, "/b/evmgroup", "127.0.0.1:9"))
}

func TestGroupTargets(t *testing.T) {
	ts := evaluateGroupTargets(fixtureGroup())
	require.Len(t, ts, 3)
	for _, tg := range ts {
		assert.True(t, tg.Known, tg.Text)
	}
	// 7 vs 10 µs: 0.70×, met (but ±10 % runs: 6.3/11 = 0.57 to 7.7/9 = 0.86, not robust).
	assert.True(t, ts[0].Met, ts[0].Figure)
	assert.False(t, ts[0].Robust, ts[0].Figure)
	assert.Contains(t, ts[0].Figure, "7.00 vs 10.00 µs (0.70×")
	assert.True(t, ts[1].Met, "150k vs 140k rt/s")
	// 8.1 vs 8 µs: 1.0125×, within 1.03.
	assert.True(t, ts[2].Met, ts[2].Figure)
	assert.Contains(t, ts[2].Figure, "8.10 vs 8.00 µs (1.01×")
	assert.Contains(t, ts[2].Figure, "on/off within each round: median 1.01×, rounds 1.01–1.01×", "the fixture's rounds scale both alike")
}

func TestGroupReport(t *testing.T) {
	var b strings.Builder
	require.NoError(t, writeReportSet(&b, reportSet{group: fixtureGroup(), groupNotes: "#### Profiles\n\nby hand\n"}))
	md := b.String()
	for _, want := range []string{
		"## Many loops and the slow-callback detector (S2M, S2D)",
		"the figure to compare is server CPU per round trip",
		"### S2M: 10,000 connections, 64-byte ping-pong, the server unpinned on every core",
		"### S2D: 10,000 connections",
		"| evmachine Group (2 loops) |",
		"| evmachine, detector on (100 ms) |",
		"Load generator CPU per round trip (S2M)",
		"×gnet-mc",
		"#### Profiles\n\nby hand",
	} {
		assert.Contains(t, md, want)
	}
	s2m := md[strings.Index(md, "### S2M"):strings.Index(md, "### S2D")]
	assert.NotContains(t, s2m, "| evmachine, detector", "S2M's table lists only its own servers")
}

func TestWriteOutputsKeepsTheOtherSuites(t *testing.T) {
	dir := t.TempDir()
	log := discardLog()
	require.NoError(t, writeOutputs(log, dir, fixture(), true))
	require.NoError(t, writeOutputs(log, dir, fixtureGroup(), true))
	assert.FileExists(t, filepath.Join(dir, resultsGroupFile))
	plain, err := loadJSON(filepath.Join(dir, resultsFile))
	require.NoError(t, err)
	assert.Len(t, plain.Scenarios, 5, "the group run left results.json alone")
	md, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## At a glance")
	assert.Contains(t, string(md), "## Many loops and the slow-callback detector")
	g := fixtureGroup().part(suiteGroup)
	require.NotNil(t, g)
	assert.Len(t, g.Servers, 5)
	assert.Nil(t, fixtureGroup().part(suitePlain))
}
