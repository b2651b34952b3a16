package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	stdhttp "net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/protocols/websocket"
)

// The browser test: headless Chromium (Debian's chromium) opens the chat
// page; the test drives it through the DevTools protocol, spoken with
// evmachine's own WebSocket client. .ci/run installs chromium; locally the
// test skips without it.

// chromiumPath finds the browser, or skips (fails under CI).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is missing under CI; .ci/run must install chromium")
	}
	t.Skip("chromium is not installed (Debian: apt-get install chromium); skipping the browser test")
	return ""
}

// startChromium runs headless Chromium on url and returns the DevTools
// WebSocket URL of its page. Chromium runs in a process group of its own
// (it forks helpers), which is killed at cleanup; its profile directory is
// removed once the whole group has gone, so that no helper still writes
// into it.
func startChromium(t *testing.T, url string) string {
	t.Helper()
	profile, err := os.MkdirTemp("", "evmachine-chromium-")
	require.NoError(t, err)
	cmd := exec.Command(chromiumPath(t), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-extensions", "--user-data-dir="+profile, "--remote-debugging-address=127.0.0.1",
		"--remote-debugging-port=0", "--window-size=900,700", url)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		pgid := cmd.Process.Pid // Setpgid: the group's id is the browser's PID
		syscall.Kill(-pgid, syscall.SIGKILL)
		cmd.Wait()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if syscall.Kill(-pgid, 0) == syscall.ESRCH {
				break // every helper has exited
			}
		}
		if err := os.RemoveAll(profile); err != nil {
			t.Logf("chromium profile %s left behind: %v", profile, err)
		}
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	var browserURL string
	select {
	case u, ok := <-found:
		require.True(t, ok, "chromium exited without a DevTools address")
		browserURL = u
	case <-time.After(watchdog):
		require.FailNow(t, "chromium did not start")
	}
	// The page's own target: from the browser's HTTP endpoint /json/list.
	host := strings.TrimPrefix(browserURL, "ws://")
	host, _, _ = strings.Cut(host, "/")
	deadline := time.Now().Add(watchdog)
	for time.Now().Before(deadline) {
		out, err := httpGet("http://" + host + "/json/list")
		var targets []struct{ Type, URL, WebSocketDebuggerURL string }
		if err == nil && json.Unmarshal(out, &targets) == nil {
			for _, tg := range targets {
				if tg.Type == "page" && strings.HasPrefix(tg.URL, url) {
					return tg.WebSocketDebuggerURL
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.FailNow(t, "chromium's page target did not appear")
	return ""
}

// cdp is a DevTools protocol session over evmachine's WebSocket client.
type cdp struct {
	t       *testing.T
	run     func(func())
	c       *websocket.Conn
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan json.RawMessage
}

func dialCDP(t *testing.T, url string) *cdp {
	t.Helper()
	r := reactortest.Start(t)
	s := &cdp{t: t, run: func(fn func()) { r.NextTick(fn) }, waiting: map[int]chan json.RawMessage{}}
	open := make(chan *websocket.Conn, 1)
	cfg := &websocket.Config{Handlers: websocket.Handlers{
		OnOpen: func(c *websocket.Conn) { open <- c },
		OnMessage: func(_ *websocket.Conn, m string) {
			var resp struct {
				ID     int
				Result json.RawMessage
				Error  json.RawMessage
			}
			if json.Unmarshal([]byte(m), &resp) != nil || resp.ID == 0 {
				return // an event
			}
			s.mu.Lock()
			ch := s.waiting[resp.ID]
			s.mu.Unlock()
			if resp.Error != nil {
				ch <- resp.Error
				return
			}
			ch <- resp.Result
		},
	}}
	s.run(func() {
		if _, err := websocket.Dial(r, url, cfg); err != nil {
			t.Error(err)
		}
	})
	select {
	case s.c = <-open:
	case <-time.After(watchdog):
		require.FailNow(t, "could not connect to chromium's DevTools")
	}
	return s
}

// call sends one command and returns its result.
func (s *cdp) call(method string, params any) json.RawMessage {
	s.t.Helper()
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	ch := make(chan json.RawMessage, 1)
	s.waiting[id] = ch
	s.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	require.NoError(s.t, err)
	s.run(func() { s.c.Send(string(msg)) })
	select {
	case res := <-ch:
		return res
	case <-time.After(watchdog):
		require.FailNow(s.t, "watchdog", "no answer to %s", method)
	}
	return nil
}

// eval evaluates a JavaScript expression in the page and returns its value
// as JSON.
func (s *cdp) eval(expr string) string {
	s.t.Helper()
	var res struct {
		Result struct{ Value json.RawMessage }
	}
	require.NoError(s.t, json.Unmarshal(s.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}), &res))
	return string(res.Result.Value)
}

// waitFor polls expr until it is true.
func (s *cdp) waitFor(expr string) {
	s.t.Helper()
	deadline := time.Now().Add(watchdog)
	for time.Now().Before(deadline) {
		if s.eval(expr) == "true" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.FailNow(s.t, "watchdog", "page never satisfied %s", expr)
}

func TestBrowserChat(t *testing.T) {
	room := startChat(t, config{maxLine: 1024, maxOutbound: 1 << 20})
	web := startWeb(t, room)
	page := "http://" + web + "/"
	s := dialCDP(t, startChromium(t, page))
	s.waitFor(`document.getElementById('status').textContent === 'connected'`)

	nc, ncName := joinChat(t, room.addr)
	s.waitFor(fmt.Sprintf(`document.getElementById('log').textContent.includes(%q)`, ncName+" joined"))
	s.eval(`document.getElementById('line').value = 'hello from chromium'; document.getElementById('form').requestSubmit(); true`)
	line := nc.expect("guest")
	require.True(t, strings.HasSuffix(line, ": hello from chromium"), line)

	nc.send("hello from nc")
	s.waitFor(fmt.Sprintf(`document.getElementById('log').textContent.includes(%q)`, ncName+": hello from nc"))

	var shot struct{ Data string }
	require.NoError(t, json.Unmarshal(s.call("Page.captureScreenshot", map[string]any{"format": "png"}), &shot))
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(png), "\x89PNG"), "not a PNG")
	path := filepath.Join(t.ArtifactDir(), "chat.png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// httpGet fetches url with net/http.
func httpGet(url string) ([]byte, error) {
	resp, err := (&stdhttp.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
