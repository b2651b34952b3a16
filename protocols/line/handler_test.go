package line

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

func TestHandlerEchoesLinesSplitAnywhere(t *testing.T) {
	addr := listenLines(t, func(**Handler) Receiver {
		return ReceiverFunc(func(c *reactor.Conn, l []byte) { fmt.Fprintf(c, "> %s\n", l) })
	})
	c, br := dial(t, addr)
	for _, part := range []string{"a\r", "\nb", "b\n\nc", "c\r\n"} {
		_, err := c.Write([]byte(part))
		require.NoError(t, err)
	}
	for _, want := range []string{"> a\n", "> bb\n", "> \n", "> cc\n"} {
		got, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

// kv is a tiny memcache-style protocol: "set key n" followed by n bytes
// and "\r\n", "get key", "quit".
type kv struct {
	h     **Handler
	store map[string][]byte
	key   string
	val   []byte
	unbnd chan error
}

func (s *kv) ReceiveLine(c *reactor.Conn, l []byte) {
	f := strings.Fields(string(l))
	switch {
	case len(f) == 3 && f[0] == "set":
		n, err := strconv.Atoi(f[2])
		if err != nil {
			c.Write([]byte("CLIENT_ERROR bad length\r\n"))
			return
		}
		s.key, s.val = f[1], nil
		(*s.h).SetBinaryMode(int64(n) + 2) // the value and its "\r\n"
	case len(f) == 2 && f[0] == "get":
		v, ok := s.store[f[1]]
		if ok {
			fmt.Fprintf(c, "VALUE %s %d\r\n%s\r\n", f[1], len(v), v)
		}
		c.Write([]byte("END\r\n"))
	case len(f) == 1 && f[0] == "quit":
		// After writing: the answers already queued reach the client, and
		// the bytes it sends after quit are read and dropped rather than
		// answered with a reset that would fail its writes.
		c.CloseAfterWriting()
	default:
		c.Write([]byte("ERROR\r\n"))
	}
}

func (s *kv) ReceiveBinaryData(_ *reactor.Conn, d []byte) { s.val = append(s.val, d...) }

func (s *kv) ReceiveEndOfBinaryData(c *reactor.Conn) {
	s.store[s.key] = s.val[:len(s.val)-2]
	c.Write([]byte("STORED\r\n"))
}

func (s *kv) Unbind(_ *reactor.Conn, err error) {
	if s.unbnd != nil {
		s.unbnd <- err
	}
}

func TestHandlerBinaryModeMemcacheStyle(t *testing.T) {
	store := map[string][]byte{}
	unbound := make(chan error, 1)
	addr := listenLines(t, func(h **Handler) Receiver { return &kv{h: h, store: store, unbnd: unbound} })
	c, br := dial(t, addr)
	msg := "set k 12\r\nhello\r\nworld\r\nget k\r\nbogus\r\nquit\r\nget k\r\n"
	for i := range len(msg) { // one byte per write: every split point crosses the wire
		_, err := c.Write([]byte{msg[i]})
		require.NoError(t, err)
	}
	got, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, "STORED\r\nVALUE k 12\r\nhello\r\nworld\r\nEND\r\nERROR\r\n", string(got))
	assert.NoError(t, wait(t, unbound, "Unbind"), "quit is a local close")
}

type tooLong struct {
	lines  chan string
	unbind chan error
}

func (s *tooLong) ReceiveLine(_ *reactor.Conn, l []byte) { s.lines <- string(l) }
func (s *tooLong) Unbind(_ *reactor.Conn, err error)     { s.unbind <- err }

func TestHandlerLineTooLongClosesWithError(t *testing.T) {
	s := &tooLong{lines: make(chan string, 10), unbind: make(chan error, 1)}
	addr := listenLines(t, func(**Handler) Receiver { return s }, WithMaxLineLength(10))
	c, br := dial(t, addr)
	_, err := c.Write([]byte("short\n" + strings.Repeat("x", 1000)))
	require.NoError(t, err)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the server closes the connection")
	reason := wait(t, s.unbind, "Unbind")
	assert.ErrorIs(t, reason, ErrLineTooLong)
	assert.Equal(t, "short", wait(t, s.lines, "the line before"))
	assert.Empty(t, s.lines)
}

type forgiving struct{}

func (forgiving) ReceiveLine(c *reactor.Conn, l []byte) { fmt.Fprintf(c, "ok %s\n", l) }
func (forgiving) LineError(c *reactor.Conn, err error) {
	if errors.Is(err, ErrLineTooLong) {
		c.Write([]byte("error: line too long\n"))
	}
}

func TestHandlerErrorReceiverGoesOn(t *testing.T) {
	addr := listenLines(t, func(**Handler) Receiver { return forgiving{} }, WithMaxLineLength(8))
	c, br := dial(t, addr)
	_, err := c.Write([]byte("a\n" + strings.Repeat("y", 100)))
	require.NoError(t, err)
	_, err = c.Write([]byte(strings.Repeat("y", 100) + "\nb\n"))
	require.NoError(t, err)
	for _, want := range []string{"ok a\n", "error: line too long\n", "ok b\n"} {
		got, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

type lifecycle struct {
	events chan string
}

func (l *lifecycle) PostInit(*reactor.Conn)                { l.events <- "post_init" }
func (l *lifecycle) ReceiveLine(c *reactor.Conn, b []byte) { l.events <- "line " + string(b) }
func (l *lifecycle) Unbind(_ *reactor.Conn, err error)     { l.events <- fmt.Sprint("unbind ", err) }

func TestHandlerForwardsLifecycle(t *testing.T) {
	l := &lifecycle{events: make(chan string, 10)}
	addr := listenLines(t, func(**Handler) Receiver { return l })
	c, _ := dial(t, addr)
	_, err := c.Write([]byte("hi\n"))
	require.NoError(t, err)
	assert.Equal(t, "post_init", wait(t, l.events, "post_init"))
	assert.Equal(t, "line hi", wait(t, l.events, "line"))
	require.NoError(t, c.Close())
	assert.Equal(t, "unbind EOF", wait(t, l.events, "unbind"))
}

// Once the Receiver closes the Conn, the rest of the read is not
// delivered.
func TestHandlerStopsAfterClose(t *testing.T) {
	lines := make(chan string, 10)
	addr := listenLines(t, func(**Handler) Receiver {
		return ReceiverFunc(func(c *reactor.Conn, l []byte) {
			lines <- string(l)
			if string(l) == "QUIT" {
				c.Close()
			}
		})
	})
	c, br := dial(t, addr)
	_, err := c.Write([]byte("a\nQUIT\nb\nc\n"))
	require.NoError(t, err)
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, "a", wait(t, lines, "a"))
	assert.Equal(t, "QUIT", wait(t, lines, "QUIT"))
	assert.Empty(t, lines)
}
