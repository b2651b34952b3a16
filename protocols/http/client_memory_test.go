package http

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
)

// The memory proof runs the client in a child process ("clientmem", see
// child_test.go) given the URLs to get, so that its peak RSS (VmHWM) is the
// client's alone.

// clientMemCeiling is the peak RSS past which the child gives up at once:
// a client that buffers without bound fails the test there instead of
// taking the machine's memory. It is twice the bound (a default client
// peaks near the bound plus the runtime's few MiB), and 3 times that under
// the race detector, whose shadow memory about triples what a large buffer
// costs.
const clientMemCeiling = 2 * ClientDefaultMaxBodyBytes * clientRaceFactor

// clientMemChild GETs each URL in turn with a default client and prints
// "result I ERR" for each, then "vmhwm KiB" and "base KiB" (VmHWM before
// the first request). It gives up ("over KiB", exit 3) if its RSS passes
// clientMemCeiling, and after a minute in all.
func clientMemChild(urls []string) int {
	base, err := procKiB("VmHWM")
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	go func() { // the bounds: never past the ceiling, never longer than a minute
		end := time.Now().Add(time.Minute)
		for time.Now().Before(end) {
			if rss, err := procKiB("VmRSS"); err == nil && rss > clientMemCeiling>>10 {
				fmt.Println("over", rss)
				os.Exit(3)
			}
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Println("error timeout")
		os.Exit(4)
	}()
	err = reactor.Run(func(r *reactor.Reactor) {
		c := NewClient(r)
		var get func(i int)
		get = func(i int) {
			if i == len(urls) {
				r.Stop()
				return
			}
			c.Get(urls[i], func(resp *ClientResponse, err error) {
				fmt.Printf("result %d %v\n", i, err)
				get(i + 1)
			})
		}
		get(0)
	})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	peak, err := procKiB("VmHWM")
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("vmhwm", peak)
	fmt.Println("base", base)
	return 0
}

// TestClientMemoryBoundedByDefault: a default client against an endless
// chunked or close-delimited body ends it with ErrClientResponseTooLarge,
// and its peak RSS stays in the order of ClientDefaultMaxBodyBytes;
// without the bound it would buffer until clientMemCeiling. The figure is
// logged: go test -v -run TestClientMemoryBoundedByDefault ./protocols/http/
func TestClientMemoryBoundedByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 64 MiB twice over loopback; skipped in -short mode")
	}
	if _, err := procKiB("VmHWM"); err != nil {
		t.Skipf("needs /proc: %v", err)
	}
	for _, chunked := range []bool{true, false} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			url, served := clientEndlessServer(t, chunked, 8*ClientDefaultMaxBodyBytes)
			res, peak, base := clientMemRun(t, url)
			assert.Contains(t, res, ErrClientResponseTooLarge.Error())
			assert.Contains(t, res, strconv.Itoa(ClientDefaultMaxBodyBytes))
			s := waitFor(t, served, "end of the endless body")
			assert.False(t, s.capped, "the client closed the connection")
			t.Logf("default client, endless body cut at %d MiB: peak RSS (VmHWM) %.1f MiB, %.1f MiB before the request (race detector: %v)",
				ClientDefaultMaxBodyBytes>>20, float64(peak)/1024, float64(base)/1024, clientRace)
			assert.Less(t, peak<<10, int64(clientMemCeiling), "peak RSS in the order of the bound")
		})
	}
}

// clientMemRun runs the memory child against url and returns its result
// line, its peak RSS and its RSS before the request, in KiB.
func clientMemRun(t *testing.T, url string) (string, int64, int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := httpChildCommand(ctx, "clientmem", url)
	stderr := &nettest.Buffer{}
	cmd.Stderr = stderr
	out, err := cmd.Output()
	require.NoError(t, err, "child: %s\nstderr: %s", out, stderr)
	var res string
	var peak, base int64
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		switch {
		case f[0] == "result" && len(f) == 3:
			res = f[2]
		case f[0] == "vmhwm" && len(f) == 2:
			peak, _ = strconv.ParseInt(f[1], 10, 64)
		case f[0] == "base" && len(f) == 2:
			base, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	require.Positive(t, peak, "child output: %s", out)
	return res, peak, base
}
