package main

import (
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestScenariosAreTheIssues(t *testing.T) {
	full := scenarios(false)
	require.Len(t, full, 5)
	want := []struct {
		id          string
		conns, size int
		idle        bool
	}{{"S1", 100, 64, false}, {"S2", 10_000, 64, false}, {"S3", 10_000, 64, true}, {"S4", 1, 16 << 10, false}, {"S5", 19_000, 64, false}}
	for i, w := range want {
		assert.Equal(t, w.id, full[i].ID)
		assert.Equal(t, w.conns, full[i].Conns, w.id)
		assert.Equal(t, w.size, full[i].Size, w.id)
		assert.Equal(t, w.idle, full[i].Idle, w.id)
		if !w.idle {
			assert.Equal(t, 10*time.Second, full[i].Duration, "%s: 10 s windows", w.id)
		}
	}
	for i, q := range scenarios(true) {
		assert.Equal(t, full[i].Conns, q.Conns, "quick keeps the connection counts")
		assert.LessOrEqual(t, q.Duration, 2*time.Second)
	}
}

func TestSelectNames(t *testing.T) {
	all := servers(2)
	name := func(s Server) string { return s.Name }
	got, err := selectNames(all, name, "gostd, evmachine", "server")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "evmachine", got[0].Name, "the suite's order, not the flag's")
	assert.Equal(t, "gostd", got[1].Name)
	got, err = selectNames(all, name, "all", "server")
	require.NoError(t, err)
	assert.Len(t, got, len(all))
	_, err = selectNames(all, name, "evmachine,nginx", "server")
	assert.ErrorContains(t, err, `unknown server "nginx"`)
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, 3, o.runs)
	assert.True(t, o.pin)
	o, err = parseFlags([]string{"-quick", "-servers", "evmachine"})
	require.NoError(t, err)
	assert.Equal(t, 1, o.runs, "quick runs once unless told")
	_, err = parseFlags([]string{"-runs", "0", "-parallel", "0"})
	assert.Error(t, err)
	_, err = parseFlags([]string{"stray"})
	assert.Error(t, err)
}

func TestCommandLine(t *testing.T) {
	assert.Equal(t, "go run ./bench", commandLine(nil))
	assert.Equal(t, "go run ./bench -quick -servers 'a b'", commandLine([]string{"-quick", "-servers", "a b"}))
}

func TestFormatting(t *testing.T) {
	assert.Equal(t, "1,234,567", thousands(1234566.6))
	assert.Equal(t, "999", thousands(999))
	assert.Equal(t, "-1,000", thousands(-1000))
	assert.Equal(t, "0", thousands(0))
	assert.Equal(t, "–", thousands(math.NaN()))
	assert.Equal(t, "12.3", fmtSig(12.34))
	assert.Equal(t, "0.521", fmtSig(0.5213))
	assert.Equal(t, "12,345", fmtSig(12345))
	assert.Equal(t, "1.20×", fmtRatio(1.2))
	assert.Equal(t, "–", fmtRatio(math.Inf(1)))
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n"
	assert.Equal(t, "AMD EPYC 7B13", cpuModel(info))
	assert.Equal(t, "unknown", cpuModel("processor : 0\n"))
}
