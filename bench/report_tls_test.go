package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSScenarios(t *testing.T) {
	ts := tlsScenarios(false)
	require.Len(t, ts, 4)
	want := []struct {
		id          string
		conns       int
		idle, churn bool
	}{{"T1", 1_000, false, false}, {"T2", 10_000, false, false}, {"T3", 10_000, true, false}, {"T4", 64, false, true}}
	for i, w := range want {
		assert.Equal(t, w.id, ts[i].ID)
		assert.Equal(t, w.conns, ts[i].Conns, w.id)
		assert.Equal(t, 64, ts[i].Size, w.id)
		assert.Equal(t, w.idle, ts[i].Idle, w.id)
		assert.Equal(t, w.churn, ts[i].Churn, w.id)
		assert.True(t, ts[i].TLS, w.id)
	}
	assert.Len(t, allScenarios(true), 11)
	cfg := loadgenConfig(ts[3], "127.0.0.1:1", 0, 64)
	assert.True(t, cfg.Churn)
	assert.Equal(t, 10*time.Second, cfg.Duration)
}

func TestServersForPairsByKind(t *testing.T) {
	all := servers(2)
	names := func(ss []Server) (out []string) {
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	assert.Equal(t, []string{subjectTLS, refTLS}, names(serversFor(tlsScenarios(false)[0], all)))
	plain := names(serversFor(scenarios(false)[0], all))
	assert.Contains(t, plain, subject)
	assert.NotContains(t, plain, subjectTLS)
	rn := &Runner{cert: benchCert{CertFile: "/c.pem", KeyFile: "/k.pem"}}
	gotls := serversFor(tlsScenarios(false)[0], all)[1]
	assert.Equal(t, []string{"/bin/gotls", "-addr", "127.0.0.1:9", "-cert", "/c.pem", "-key", "/k.pem"}, rn.serverArgv(gotls, "/bin/gotls", "127.0.0.1:9"))
}

func TestTLSTargets(t *testing.T) {
	ts := evaluateTLSTargets(fixtureTLS())
	require.Len(t, ts, 4)
	for _, tg := range ts {
		assert.True(t, tg.Known, tg.Text)
	}
	// T1, T2: 16 vs 20 µs is 0.8×, met on the medians; the ±10 % runs
	// overlap 0.9× (17.6 / 18 = 0.98), so not robust.
	assert.True(t, ts[0].Met)
	assert.False(t, ts[0].Robust)
	assert.Contains(t, ts[0].Figure, "16.00 vs 20.00 µs (0.80×")
	// T3: 14 vs 30 KiB, 0.47×: met.
	assert.True(t, ts[2].Met)
	// T4: 1,500 vs 1,600 /s is 0.94×: met on the medians; the CPU per
	// connection follows.
	assert.True(t, ts[3].Met)
	assert.Contains(t, ts[3].Figure, "1,500 vs 1,600 /s (0.94×")
	assert.Contains(t, ts[3].Figure, "server CPU per connection 480.0 vs 450.0 µs (1.07×")
}

func TestTLSReport(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeReportSet(&b, reportSet{tls: fixtureTLS(), tlsNotes: "### What bounds them\n\nnotes here\n"}))
	md := b.String()
	for _, want := range []string{
		"# evmachine benchmark results",
		"have no results in this directory yet",
		"## TLS: evmachine's TLS stage against Go's crypto/tls (T1–T4)",
		"`go run ./bench -servers evmtls,gotls -scenarios T1,T2,T3,T4`",
		"gnet v2 is not in the TLS scenarios: it has no TLS of its own.",
		"### What bounds them\n\nnotes here",
		"### T4: TLS, new connections",
		"| server | new conns/s | ×Go |",
		"the connections negotiated TLS 1.3, key exchange X25519MLKEM768",
		"⚠️ met on the medians, within the run-to-run noise: T3: RSS per idle TLS connection at most 0.5× Go crypto/tls's",
	} {
		assert.Contains(t, md, want)
	}
	head := lineWith(t, md, "| evmachine TLS (1 loop) | 50,000 | 16.00 | 50,000 | 16.00 | 14.00 | 1,500 | 480.0 | 0 |")
	assert.NotEmpty(t, head)
	row := lineWith(t, md, "| evmachine TLS (1 loop) | 50,000 ±10% | 1.11× |")
	assert.Contains(t, row, "| 16.00 ±10% | 0.80× |")
	churn := lineWith(t, md, "| evmachine TLS (1 loop) | 1,500 ±10% | 0.94× |")
	assert.Contains(t, churn, "| 480.0 ±0% | 1.07× |")
	assert.Contains(t, churn, "| 95 ⚠ | 633 |", "the load generator's CPU per connection")
	assert.NotContains(t, md, "NaN")
	assert.NotContains(t, md, "gnet v2 (1 loop) |", "no gnet row in the TLS tables")
}

// Running one suite keeps the other's figures: the TLS run's outputs go
// into a directory that holds the plain run's, and RESULTS.md shows both.
func TestOutputsKeepTheOtherSuite(t *testing.T) {
	dir := t.TempDir()
	log := discardLog()
	require.NoError(t, writeOutputs(log, dir, fixture(), true))
	plainJSON, err := os.ReadFile(filepath.Join(dir, resultsFile))
	require.NoError(t, err)
	svg, err := os.ReadFile(filepath.Join(dir, "results.svg"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, tlsNotesFile), []byte("### Profiles\n\nby hand\n"), 0o644))

	require.NoError(t, writeOutputs(log, dir, fixtureTLS(), true))
	md, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## S2: 10,000 connections, 64-byte ping-pong")
	assert.Contains(t, string(md), "## TLS: evmachine's TLS stage")
	assert.Contains(t, string(md), "### Profiles\n\nby hand")
	after, err := os.ReadFile(filepath.Join(dir, resultsFile))
	require.NoError(t, err)
	assert.Equal(t, plainJSON, after, "the plain results are not rewritten")
	svgAfter, err := os.ReadFile(filepath.Join(dir, "results.svg"))
	require.NoError(t, err)
	assert.Equal(t, svg, svgAfter)
	back, err := loadJSON(filepath.Join(dir, resultsTLSFile))
	require.NoError(t, err)
	assert.Equal(t, fixtureTLS().Records, back.Records)

	// Redrawing from the plain file alone finds the TLS file beside it.
	require.NoError(t, writeOutputs(log, dir, mustLoad(t, filepath.Join(dir, resultsFile)), false))
	again, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	require.NoError(t, err)
	assert.Equal(t, string(md), string(again))
}

func mustLoad(t *testing.T, path string) *Results {
	t.Helper()
	res, err := loadJSON(path)
	require.NoError(t, err)
	return res
}

func TestPartSplitsBySuite(t *testing.T) {
	res := fixture()
	tls := fixtureTLS()
	res.Scenarios = append(res.Scenarios, tls.Scenarios...)
	res.Servers = append(res.Servers, tls.Servers...)
	res.Records = append(res.Records, tls.Records...)
	p, q := res.part(suitePlain), res.part(suiteTLS)
	require.NotNil(t, p)
	require.NotNil(t, q)
	assert.Len(t, p.Scenarios, 5)
	assert.Len(t, q.Scenarios, 4)
	assert.Equal(t, fixture().Records, p.Records)
	assert.Equal(t, tls.Records, q.Records)
	assert.Len(t, q.Servers, 2)
	assert.Nil(t, fixture().part(suiteTLS))
	assert.Nil(t, (*Results)(nil).part(suitePlain))
}
