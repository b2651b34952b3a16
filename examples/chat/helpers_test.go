package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// watchdog bounds every wait of these tests: a broken server fails a test
// instead of hanging it.
const watchdog = 20 * time.Second

// chatRoom is a server running in-process on a reactor of its own.
type chatRoom struct {
	s       *server
	r       *reactor.Reactor
	addr    string
	stopped chan struct{} // closed when Run has returned
	runErr  error         // Run's result, once stopped is closed
}

// startChat runs a chat server on 127.0.0.1:0; cleanup stops it.
func startChat(t *testing.T, cfg config) *chatRoom {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := reactor.New(reactor.WithLogger(log))
	require.NoError(t, err)
	s := newServer(r, log, cfg)
	l, err := s.listen("127.0.0.1:0")
	require.NoError(t, err)
	room := &chatRoom{s: s, r: r, addr: l.Addr().String(), stopped: make(chan struct{})}
	go func() {
		room.runErr = r.Run()
		close(room.stopped)
	}()
	t.Cleanup(func() {
		r.Stop()
		select {
		case <-room.stopped:
		case <-time.After(watchdog):
			t.Error("chat reactor did not stop")
		}
	})
	return room
}

// chatClient is one TCP client of the tests.
type chatClient struct {
	t    *testing.T
	conn net.Conn
	in   *bufio.Reader
}

func dialChat(t *testing.T, addr string) *chatClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, watchdog)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	cl := &chatClient{t: t, conn: conn, in: bufio.NewReader(conn)}
	cl.expect("* welcome")
	return cl
}

// joinChat dials and returns the client and its guest name.
func joinChat(t *testing.T, addr string) (*chatClient, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, watchdog)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	cl := &chatClient{t: t, conn: conn, in: bufio.NewReader(conn)}
	line := cl.readLine()
	require.True(t, strings.HasPrefix(line, "* welcome"), line)
	_, rest, _ := strings.Cut(line, "you are ")
	name, _, _ := strings.Cut(rest, ";")
	return cl, name
}

func (c *chatClient) send(line string) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetWriteDeadline(time.Now().Add(watchdog)))
	_, err := io.WriteString(c.conn, line+"\n")
	require.NoError(c.t, err)
}

// readLine returns the next line, without its newline.
func (c *chatClient) readLine() string {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(watchdog)))
	line, err := c.in.ReadString('\n')
	require.NoError(c.t, err, "read so far: %q", line)
	return strings.TrimSuffix(line, "\n")
}

// expect reads lines until one starts with prefix, skipping join/leave
// notices of other clients, and returns it.
func (c *chatClient) expect(prefix string) string {
	c.t.Helper()
	for range 100 {
		line := c.readLine()
		if strings.HasPrefix(line, prefix) {
			return line
		}
		require.True(c.t, isNotice(line), "expected %q, got %q", prefix, line)
	}
	require.FailNow(c.t, "too many lines", "no %q in 100 lines", prefix)
	return ""
}

// expectEOF reads until the server closes the connection.
func (c *chatClient) expectEOF() {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(watchdog)))
	_, err := io.Copy(io.Discard, c.in)
	require.NoError(c.t, err, "the server closes the connection cleanly")
}

func isNotice(line string) bool {
	return strings.HasPrefix(line, "* ") &&
		(strings.HasSuffix(line, " joined") || strings.Contains(line, " left"))
}

// shutdownChat stops the room gracefully from the test goroutine.
func shutdownChat(t *testing.T, room *chatRoom) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	require.NoError(t, room.s.shutdown(ctx))
	select {
	case <-room.stopped:
		require.NoError(t, room.runErr)
	case <-time.After(watchdog):
		require.FailNow(t, "Run did not return after Shutdown")
	}
}
