package websocket

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// The peers: Node's ws (Debian node-ws) and Python's websockets (Debian
// python3-websockets, installed for /usr/bin/python3). .ci/run installs
// both; locally a missing one skips its tests.

// needTool skips the test when a peer is missing, naming the Debian
// package that brings it; under CI (CI set, as .ci/run runs) it fails
// instead, since .ci/run installs them.
func needTool(t *testing.T, ok bool, what, pkg string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing under CI; .ci/run must install %s", what, pkg)
	}
	t.Skipf("%s is not installed (Debian: apt-get install %s); skipping this interop test", what, pkg)
}

// nodeEnv lets node find Debian's modules (node-ws installs under
// /usr/share/nodejs).
func nodeEnv() []string {
	return append(os.Environ(), "NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs:"+os.Getenv("NODE_PATH"))
}

func nodeCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	probe := exec.Command("node", "-e", "require('ws')")
	probe.Env = nodeEnv()
	needTool(t, probe.Run() == nil, "node with the ws module", "nodejs node-ws")
	cmd := exec.Command("node", args...)
	cmd.Env = nodeEnv()
	return cmd
}

func pythonCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	ok := exec.Command("/usr/bin/python3", "-c", "import websockets").Run() == nil
	needTool(t, ok, "/usr/bin/python3 with websockets", "python3-websockets")
	return exec.Command("/usr/bin/python3", args...)
}

// runPeerClient runs a client script to completion within the watchdog
// and requires it to print OK.
func runPeerClient(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, out.String())
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		t.Fatalf("peer client timed out: %s", out.String())
	}
	assert.Equal(t, "OK", strings.TrimSpace(out.String()))
}

// startPeerServer starts a server script, reads the port it prints and
// kills it by PID at cleanup.
func startPeerServer(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			port <- strings.TrimSpace(sc.Text())
		}
		close(port)
	}()
	select {
	case p, ok := <-port:
		require.True(t, ok, "peer server printed no port: %s", stderr.String())
		return "127.0.0.1:" + p
	case <-time.After(watchdog):
		t.Fatalf("peer server did not start: %s", stderr.String())
	}
	return ""
}

func mib() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}

func TestInteropNodeClient(t *testing.T) {
	for _, mode := range []string{"plain", "deflate"} {
		t.Run(mode, func(t *testing.T) {
			cfg := echoConfig()
			cfg.Compression = mode == "deflate"
			_, addr := listenEcho(t, cfg)
			runPeerClient(t, nodeCmd(t, "testdata/node_client.js", "ws://"+addr+"/", mode))
		})
	}
}

func TestInteropPythonClient(t *testing.T) {
	for _, mode := range []string{"plain", "deflate"} {
		t.Run(mode, func(t *testing.T) {
			cfg := echoConfig()
			cfg.Compression = mode == "deflate"
			_, addr := listenEcho(t, cfg)
			runPeerClient(t, pythonCmd(t, "testdata/py_client.py", "ws://"+addr+"/", mode))
		})
	}
}

func TestInteropNodeServer(t *testing.T) {
	for _, mode := range []string{"plain", "deflate"} {
		t.Run(mode, func(t *testing.T) {
			addr := startPeerServer(t, nodeCmd(t, "testdata/node_server.js", mode))
			talkToEchoPeer(t, addr, mode == "deflate")
		})
	}
}

func TestInteropPythonServer(t *testing.T) {
	for _, mode := range []string{"plain", "deflate"} {
		t.Run(mode, func(t *testing.T) {
			addr := startPeerServer(t, pythonCmd(t, "testdata/py_server.py", mode))
			talkToEchoPeer(t, addr, mode == "deflate")
		})
	}
}

// talkToEchoPeer runs evmachine's client against a peer echo server:
// text, binary, 1 MiB, fragments both ways, ping, and both close
// directions, every byte checked.
func talkToEchoPeer(t *testing.T, addr string, deflate bool) {
	r := startReactor(t, func(*reactor.Reactor) {})
	ev, cfg := newClientEvents()
	cfg.Compression = deflate
	cfg.MaxMessage = 4 << 20
	onLoop(t, r, func() { _, err := Dial(r, "ws://"+addr+"/", cfg); require.NoError(t, err) })
	c := wait(t, ev.open, "open")
	onLoop(t, r, func() { assert.Equal(t, deflate, c.Compressed()) })
	big := mib()
	onLoop(t, r, func() {
		c.Send("héllo wörld")
		c.SendBinary([]byte{0, 1, 2, 255})
		c.SendBinary(big)
		c.SendFragmented(OpText, []byte("frag-"), []byte("m\xc3"), []byte("\xa9nt"))
		c.Send("frag-me")
		c.Ping([]byte("ping!"))
	})
	assert.Equal(t, "héllo wörld", wait(t, ev.text, "text"))
	assert.Equal(t, []byte{0, 1, 2, 255}, wait(t, ev.binary, "binary"))
	assert.True(t, bytes.Equal(big, wait(t, ev.binary, "1 MiB")), "1 MiB echo differs")
	assert.Equal(t, "frag-mént", wait(t, ev.text, "fragmented"))
	assert.Equal(t, "fragged", wait(t, ev.text, "peer's fragments"))
	assert.Equal(t, []byte("ping!"), wait(t, ev.pong, "pong"))
	onLoop(t, r, func() { require.NoError(t, c.Close(4000, "evmachine done")) })
	assert.Equal(t, CloseEvent{Code: 4000, Reason: "evmachine done", WasClean: true}, wait(t, ev.closed, "close"))

	// The peer closes this time.
	ev, cfg2 := newClientEvents()
	cfg2.Compression = deflate
	onLoop(t, r, func() { _, err := Dial(r, "ws://"+addr+"/", cfg2); require.NoError(t, err) })
	c = wait(t, ev.open, "open")
	onLoop(t, r, func() { c.Send("close-me") })
	assert.Equal(t, CloseEvent{Code: 4002, Reason: "peer server bye", WasClean: true}, wait(t, ev.closed, "peer close"))
}

// lockedBuffer is a bytes.Buffer that a process writes and a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
