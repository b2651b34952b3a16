package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/redistest"
)

// watchdog bounds every wait of these tests; never a measurement.
const watchdog = 90 * time.Second

// receiver is a webhook receiver on loopback that records what it gets.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	attempts map[string]int    // webhook-id -> requests seen
	accepted map[string]Result // webhook-id -> body of the accepted delivery
	bad      []string          // malformed deliveries
}

// newReceiver answers each delivery after delay; failFirst > 0 answers
// 500 to the first failFirst attempts of every result.
func newReceiver(t *testing.T, delay time.Duration, failFirst int) *receiver {
	rc := &receiver{attempts: map[string]int{}, accepted: map[string]Result{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(delay)
		body, _ := io.ReadAll(req.Body)
		id := req.Header.Get("Webhook-Id")
		rc.mu.Lock()
		defer rc.mu.Unlock()
		var res Result
		ts := req.Header.Get("Webhook-Timestamp")
		if err := json.Unmarshal(body, &res); err != nil || req.Method != http.MethodPost || id == "" || res.ID != id ||
			req.Header.Get("Content-Type") != "application/json" || ts == "" ||
			!validSignature(req.Header.Get("Webhook-Signature"), id, ts, body) {
			rc.bad = append(rc.bad, fmt.Sprintf("%s %s %q: %s", req.Method, id, body, err))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.attempts[id]++
		if rc.attempts[id] <= failFirst {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		rc.accepted[id] = res
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// testSecret signs the deliveries of the tests' program.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// validSignature checks a Webhook-Signature as a receiver would, with
// crypto/hmac directly.
func validSignature(header, id, ts string, body []byte) bool {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(testSecret, "whsec_"))
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%s.%s", id, ts, body)
	got, ok := strings.CutPrefix(header, "v1,")
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	return ok && hmac.Equal([]byte(got), []byte(want))
}

func (rc *receiver) snapshot() (accepted map[string]Result, attempts map[string]int, bad []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	accepted, attempts = map[string]Result{}, map[string]int{}
	for k, v := range rc.accepted {
		accepted[k] = v
	}
	for k, v := range rc.attempts {
		attempts[k] = v
	}
	return accepted, attempts, append([]string(nil), rc.bad...)
}

// startApp runs the program on a free port against redisAddr and stops it
// gracefully in t.Cleanup. It returns the API's base URL.
func startApp(t *testing.T, redisAddr string) string {
	t.Helper()
	cfg := config{httpAddr: "127.0.0.1:0", redisAddr: redisAddr, concurrency: 10, timeout: 5 * time.Second,
		retries: 5, retryDelay: 200 * time.Millisecond, grace: 5 * time.Second}
	var err error
	cfg.secret, err = parseSecret(testSecret)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, log, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(watchdog):
			t.Error("watchdog: the program did not stop")
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		require.FailNow(t, "the program stopped at start", "%v", err)
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: the program did not start")
	}
	return ""
}

// testWriter sends the program's log to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// call makes one request to the API and decodes its JSON answer into out
// (when not nil); it returns the status.
func call(t *testing.T, method, u string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, out), "%s", b)
	}
	return resp.StatusCode
}

// TestEndToEnd registers a slow receiver and one that fails twice per
// result, runs jobs, and checks that every result reaches both, the
// failing one through DeliverWebhook retries.
func TestEndToEnd(t *testing.T) {
	redisAddr := redistest.Start(t).Addr
	api := startApp(t, redisAddr)
	slow := newReceiver(t, 300*time.Millisecond, 0)
	flaky := newReceiver(t, 0, 2)
	other := newReceiver(t, 0, 0)

	for _, h := range []hookRequest{{"acme", slow.srv.URL + "/hook"}, {"acme", flaky.srv.URL + "/hook"}, {"globex", other.srv.URL}} {
		require.Equal(t, http.StatusCreated, call(t, "POST", api+"/hooks", h, nil))
	}
	require.Equal(t, http.StatusOK, call(t, "POST", api+"/hooks", hookRequest{"acme", slow.srv.URL + "/hook"}, nil), "a repeat is not added twice")
	require.Equal(t, http.StatusBadRequest, call(t, "POST", api+"/hooks", hookRequest{"acme", "ftp://x"}, nil))
	var list struct {
		URLs []string `json:"urls"`
	}
	require.Equal(t, http.StatusOK, call(t, "GET", api+"/hooks/acme", nil, &list))
	assert.ElementsMatch(t, []string{slow.srv.URL + "/hook", flaky.srv.URL + "/hook"}, list.URLs)

	const n = 20
	want := map[string]Summary{}
	for i := range n {
		xs := []float64{float64(i), float64(i + 1), float64(2 * i)}
		var ans struct{ JID string }
		require.Equal(t, http.StatusAccepted, call(t, "POST", api+"/jobs", jobRequest{"acme", xs}, &ans))
		require.Len(t, ans.JID, 24)
		want[ans.JID] = summarize(xs)
	}

	deadline := time.Now().Add(watchdog)
	for {
		s, _, _ := slow.snapshot()
		f, _, _ := flaky.snapshot()
		if len(s) == n && len(f) == n {
			break
		}
		if time.Now().After(deadline) {
			require.FailNowf(t, "watchdog", "deliveries: slow %d of %d, flaky %d of %d", len(s), n, len(f), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for name, rc := range map[string]*receiver{"slow": slow, "flaky": flaky} {
		got, attempts, bad := rc.snapshot()
		assert.Empty(t, bad, name)
		for jid, sum := range want {
			r, ok := got[jid]
			if assert.True(t, ok, "%s: result %s missing", name, jid) {
				assert.Equal(t, Result{ID: jid, Account: "acme", Job: reportClass, Summary: sum, FinishedAt: r.FinishedAt}, r, name)
				_, err := time.Parse(time.RFC3339Nano, r.FinishedAt)
				assert.NoError(t, err)
			}
			if name == "flaky" {
				assert.GreaterOrEqual(t, attempts[jid], 3, "the flaky receiver got each result on its third attempt")
			} else {
				assert.GreaterOrEqual(t, attempts[jid], 1)
			}
		}
	}
	o, _, _ := other.snapshot()
	assert.Empty(t, o, "another account's receiver got nothing")

	hook := url.QueryEscape(flaky.srv.URL + "/hook")
	require.Equal(t, http.StatusNoContent, call(t, "DELETE", api+"/hooks/acme?url="+hook, nil, nil))
	require.Equal(t, http.StatusNotFound, call(t, "DELETE", api+"/hooks/acme?url="+hook, nil, nil))
	require.Equal(t, http.StatusOK, call(t, "GET", api+"/hooks/acme", nil, &list))
	assert.Equal(t, []string{slow.srv.URL + "/hook"}, list.URLs)
}
