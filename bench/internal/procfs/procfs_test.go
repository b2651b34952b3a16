package procfs

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A real line from a Go server, with a command name that holds a space and
// a parenthesis to prove fields are counted from the last ')'.
const statLine = "4242 (echo (x) 1) S 1 4242 4242 0 -1 4194560 1234 0 0 0 " +
	"1520 380 0 0 20 0 7 0 98765 1234567 890 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 0 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	s, err := ParseStat([]byte(statLine))
	require.NoError(t, err)
	assert.Equal(t, "echo (x) 1", s.Comm)
	assert.Equal(t, byte('S'), s.State)
	assert.Equal(t, int64(1520), s.Utime)
	assert.Equal(t, int64(380), s.Stime)
	assert.Equal(t, 7, s.Threads)
	assert.Equal(t, 19*time.Second, s.CPU(), "(1520+380) ticks of 10 ms")
}

func TestParseStatRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"no parentheses": "1 echo S 1 2 3",
		"too short":      "1 (echo) S 1 2 3",
		"bad utime":      "1 (a) S 1 1 1 0 -1 0 0 0 0 0 x 380 0 0 20 0 7 0 9",
		"bad state":      "1 (a) SS 1 1 1 0 -1 0 0 0 0 0 1 380 0 0 20 0 7 0 9",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseStat([]byte(in))
			assert.ErrorIs(t, err, ErrFormat)
		})
	}
}

const statusText = `Name:	echo
Umask:	0022
State:	S (sleeping)
Tgid:	4242
VmPeak:	 1258492 kB
VmHWM:	   20480 kB
VmRSS:	   10240 kB
RssAnon:	    6000 kB
Threads:	5
voluntary_ctxt_switches:	150
nonvoluntary_ctxt_switches:	7
`

func TestParseStatus(t *testing.T) {
	s, err := ParseStatus([]byte(statusText))
	require.NoError(t, err)
	assert.Equal(t, Status{RSS: 10240 * 1024, HWM: 20480 * 1024, Threads: 5, Voluntary: 150, Nonvoluntary: 7}, s)
}

func TestParseStatusKernelThreadHasNoRSS(t *testing.T) {
	s, err := ParseStatus([]byte("Name:\tkworker\nThreads:\t1\nvoluntary_ctxt_switches:\t3\n"))
	require.NoError(t, err)
	assert.Zero(t, s.RSS)
	assert.Equal(t, int64(3), s.Voluntary)
}

func TestParseStatusRejectsBadValues(t *testing.T) {
	for _, in := range []string{"VmRSS:\tlots kB\n", "VmRSS:\n", "Threads:\tmany\n", "voluntary_ctxt_switches:\t1e3\n"} {
		_, err := ParseStatus([]byte(in))
		assert.ErrorIs(t, err, ErrFormat, "%q", in)
	}
}

func TestTakeOwnProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	a, err := Take(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, a.RSS)
	assert.Positive(t, a.Threads)
	assert.Positive(t, a.Voluntary+a.Nonvoluntary, "a Go test process has switched context by now")
	// Burn CPU until the tick counter moves, bounded in time.
	deadline := time.Now().Add(5 * time.Second)
	var b Sample
	for x := 0; time.Now().Before(deadline); x++ {
		for i := range 1_000_000 {
			x ^= i
		}
		b, err = Take(os.Getpid())
		require.NoError(t, err)
		if b.CPU > a.CPU {
			break
		}
	}
	d := b.Sub(a)
	assert.Positive(t, d.CPU, "CPU time grows while spinning")
	assert.Positive(t, d.Wall)
	assert.Greater(t, d.CPUShare(), 0.0)
}

func TestReadMissingProcess(t *testing.T) {
	_, err := ReadStat(-1)
	assert.Error(t, err)
	_, _, err = CtxSwitches(-1)
	assert.Error(t, err)
	assert.Zero(t, Delta{}.CPUShare(), "no wall time: no share, not a division by zero")
}

func TestParseSystemCPU(t *testing.T) {
	text := "cpu  100 5 50 1000 20 3 2 10 7 0\ncpu0 50 2 25 500 10 1 1 5 0 0\nintr 1\n"
	s, err := ParseSystemCPU([]byte(text))
	require.NoError(t, err)
	assert.Equal(t, 170*ClockTick, s.Busy, "user+nice+system+irq+softirq+steal; guest is inside user")
	assert.Equal(t, 1190*ClockTick, s.Total)
	_, err = ParseSystemCPU([]byte("cpu0 1 2 3 4 5 6 7 8\n"))
	assert.ErrorIs(t, err, ErrFormat, "the first line must be the total")
	_, err = ParseSystemCPU([]byte("cpu 1 2 x 4 5 6 7 8\n"))
	assert.ErrorIs(t, err, ErrFormat)
}

func TestLoadAvg(t *testing.T) {
	got := LoadAvg()
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		assert.Equal(t, "unknown", got)
		return
	}
	f := strings.Fields(got)
	require.Len(t, f, 3, got)
	for _, v := range f {
		_, err := strconv.ParseFloat(v, 64)
		assert.NoError(t, err, got)
	}
}
