package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testConfig = config{maxLine: 1024, maxOutbound: 64 << 10}

func TestChatBroadcastToEveryOtherClient(t *testing.T) {
	room := startChat(t, testConfig)
	a, nameA := joinChat(t, room.addr)
	b, nameB := joinChat(t, room.addr)
	c, _ := joinChat(t, room.addr)

	a.send("hello, room")
	assert.Equal(t, nameA+": hello, room", b.expect(nameA+":"))
	assert.Equal(t, nameA+": hello, room", c.expect(nameA+":"))

	// The sender does not get its own line: the next line a reads that is
	// not a join notice is b's message.
	b.send("ping")
	assert.Equal(t, nameB+": ping", a.expect(nameB+":"), "a must not see its own line first")
	assert.Equal(t, nameB+": ping", c.expect(nameB+":"))

	a.send("   ") // blank lines are ignored
	a.send("/who")
	assert.Equal(t, "* here (3): ", a.expect("* here")[:len("* here (3): ")])
}

func TestChatNickAndWho(t *testing.T) {
	room := startChat(t, testConfig)
	a, nameA := joinChat(t, room.addr)
	b, nameB := joinChat(t, room.addr)
	a.expect("* ") // b joined

	a.send("/nick alice")
	assert.Equal(t, "* you are now alice", a.readLine())
	assert.Equal(t, "* "+nameA+" is now known as alice", b.expect("* "+nameA+" is now"))

	b.send("/nick alice")
	assert.Equal(t, "! name alice is taken", b.readLine())
	b.send("/nick bad name!")
	assert.Contains(t, b.readLine(), "! invalid name")
	b.send("/nick bob")
	assert.Equal(t, "* you are now bob", b.readLine())
	assert.Equal(t, "* "+nameB+" is now known as bob", a.expect("* "+nameB+" is now"))

	a.send("/who")
	assert.Equal(t, "* here (2): alice, bob", a.expect("* here"))

	a.send("hi bob")
	assert.Equal(t, "alice: hi bob", b.expect("alice:"))

	a.send("/frob")
	assert.Contains(t, a.expect("! "), "unknown command /frob")

	a.send("/quit")
	assert.Equal(t, "* bye", a.expect("* bye"))
	a.expectEOF()
	assert.Equal(t, "* alice left", b.expect("* alice left"))
}

func TestChatLineTooLong(t *testing.T) {
	room := startChat(t, testConfig)
	a, nameA := joinChat(t, room.addr)
	b, _ := joinChat(t, room.addr)

	// Far past the limit, with no newline: the server must not wait for one.
	_, err := a.conn.Write(bytes.Repeat([]byte("x"), 5*testConfig.maxLine))
	require.NoError(t, err)
	assert.Equal(t, "! line too long (limit 1024 bytes); closing", a.expect("! "))
	a.expectEOF()
	assert.Equal(t, "* "+nameA+" left", b.expect("* "+nameA+" left"))

	// A line of exactly the limit is fine.
	c, nameC := joinChat(t, room.addr)
	long := strings.Repeat("y", testConfig.maxLine)
	c.send(long)
	assert.Equal(t, nameC+": "+long, b.expect(nameC+":"))
}

// TestChatSlowReaderDisconnected connects a client that never reads, with
// a small receive buffer, and floods the room: the server drops it once
// more than maxOutbound bytes are queued for it, and the sender sees it
// leave. The sender is the only other client and watches for the notice:
// the room never sends a client its own lines, so nothing queues for the
// sender and it cannot be dropped as slow itself. (A third client reading
// the flood could be: on a loaded machine its reader goroutine may fall
// more than maxOutbound behind, and the test would then fail by chance.)
func TestChatSlowReaderDisconnected(t *testing.T) {
	room := startChat(t, testConfig)
	dialer := net.Dialer{Timeout: watchdog, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	slowConn, err := dialer.Dial("tcp", room.addr)
	require.NoError(t, err)
	t.Cleanup(func() { slowConn.Close() })
	slow := &chatClient{t: t, conn: slowConn, in: bufio.NewReader(slowConn)}
	slowWelcome := slow.readLine()
	_, rest, _ := strings.Cut(slowWelcome, "you are ")
	slowName, _, _ := strings.Cut(rest, ";")

	sender, senderName := joinChat(t, room.addr)

	// The sender reads what the room sends it (notices only) and reports
	// the slow client's exit.
	gone := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		want := "* " + slowName + " left (too slow)\n"
		if err := sender.conn.SetReadDeadline(time.Now().Add(watchdog)); err != nil {
			readErr <- err
			return
		}
		for {
			line, err := sender.in.ReadString('\n')
			if err != nil {
				readErr <- err
				return
			}
			if line == want {
				close(gone)
				readErr <- nil
				return
			}
		}
	}()

	// Flood: at most 64 MiB or the watchdog, stopping as soon as the slow
	// client is gone.
	line := []byte(strings.Repeat("z", 1000) + "\n")
	deadline := time.Now().Add(watchdog)
	sent := 0
flood:
	for sent < 64<<20 {
		select {
		case <-gone:
			break flood
		default:
		}
		require.True(t, time.Now().Before(deadline), "slow client not dropped after %d bytes", sent)
		require.NoError(t, sender.conn.SetWriteDeadline(deadline))
		_, err := sender.conn.Write(line)
		require.NoError(t, err)
		sent += len(line)
	}
	select {
	case <-gone:
	case err := <-readErr:
		require.NoError(t, err, "the sender stopped reading before the slow client left")
	case <-time.After(watchdog):
		require.FailNow(t, "the slow client was never dropped", "sent %d bytes", sent)
	}
	t.Logf("slow client dropped after %d bytes flooded", sent)

	// The server forgot it: only the sender is left.
	count := make(chan int, 1)
	room.r.NextTick(func() { count <- room.r.ConnectionCount() })
	select {
	case n := <-count:
		assert.Equal(t, 1, n, "only the sender is left")
	case <-time.After(watchdog):
		require.FailNow(t, "loop did not answer")
	}
	// The slow client sees its stream end (EOF or reset) in bounded time.
	require.NoError(t, slowConn.SetReadDeadline(time.Now().Add(watchdog)))
	_, err = io.Copy(io.Discard, slow.in)
	if err != nil {
		var ne net.Error
		assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the slow client's connection must end, got %v", err)
	}

	// The room still works. /who is answered after the rest of the flood
	// (the server handles the sender's lines in order), so the newcomer
	// joins a quiet room and its first line from the sender is the next one.
	sender.send("/who")
	assert.Equal(t, "* here (1): "+senderName, sender.expect("* here"))
	newcomer, _ := joinChat(t, room.addr)
	sender.send("still here")
	assert.Equal(t, senderName+": still here", newcomer.expect(senderName+":"))
}

func TestChatGracefulShutdown(t *testing.T) {
	room := startChat(t, testConfig)
	a, _ := joinChat(t, room.addr)
	b, _ := joinChat(t, room.addr)
	shutdownChat(t, room)
	assert.Equal(t, "* server shutting down", a.expect("* server"))
	assert.Equal(t, "* server shutting down", b.expect("* server"))
	a.expectEOF()
	b.expectEOF()
}

// A port already in use is run's error (main logs it and exits 1) at once,
// not a server that never listens.
func TestChatPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(log, taken.Addr().String(), "", testConfig, time.Second) }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, syscall.EADDRINUSE)
	case <-time.After(watchdog):
		t.Fatal("watchdog: run did not return on a port in use")
	}
}
