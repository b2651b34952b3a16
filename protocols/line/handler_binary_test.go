package line

import (
	"fmt"
	"io"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// readSignal is a line Handler that reports each read it gets, so that a
// client can send the next piece only once the previous one was read on
// its own.
type readSignal struct {
	*Handler
	reads chan int
}

func (h readSignal) ReceiveData(c *reactor.Conn, data []byte) {
	h.Handler.ReceiveData(c, data)
	h.reads <- len(data)
}

// bodyRecv is a Receiver for "SIZE n" followed by n bytes; it reports what
// it gets on events.
type bodyRecv struct {
	h      **Handler
	events chan string
}

func (b *bodyRecv) ReceiveLine(c *reactor.Conn, l []byte) {
	var n int64
	if _, err := fmt.Sscanf(string(l), "SIZE %d", &n); err == nil {
		(*b.h).SetBinaryMode(n)
		return
	}
	b.events <- "line " + string(l)
}

func (b *bodyRecv) ReceiveBinaryData(c *reactor.Conn, d []byte) {
	b.events <- "body " + string(d)
	fmt.Fprintf(c, "got %d bytes\n", len(d))
}

func (b *bodyRecv) ReceiveEndOfBinaryData(*reactor.Conn) { b.events <- "end" }

func (b *bodyRecv) Unbind(_ *reactor.Conn, err error) { b.events <- fmt.Sprint("unbind ", err) }

func listenSignal(t *testing.T, events chan string, reads chan int, opts ...Option) string {
	t.Helper()
	var addr string
	startReactor(t, func(r *reactor.Reactor) {
		l, err := r.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler {
			var h *Handler
			h = NewHandler(&bodyRecv{h: &h, events: events}, opts...)
			return readSignal{h, reads}
		})
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	return addr
}

// The case: a sized block that comes in several reads reaches
// ReceiveBinaryData in one call, then ReceiveEndOfBinaryData.
func TestHandlerSizedBlockInOneCall(t *testing.T) {
	events, reads := make(chan string, 16), make(chan int, 16)
	addr := listenSignal(t, events, reads)
	c, br := dial(t, addr)
	for _, piece := range []string{"SIZE 11\nhel", "lo w", "orld", "next\n"} {
		_, err := c.Write([]byte(piece))
		require.NoError(t, err)
		wait(t, reads, "the server's read")
	}
	got, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "got 11 bytes\n", got)
	assert.Equal(t, "body hello world", wait(t, events, "body"))
	assert.Equal(t, "end", wait(t, events, "end"))
	assert.Equal(t, "line next", wait(t, events, "line"))
}

// unbindRecv reports Unbind's reason along with the bodies.
type unbindRecv struct {
	bodyRecv
	unbind chan error
}

func (u *unbindRecv) Unbind(_ *reactor.Conn, err error) { u.unbind <- err }

// Past the maximum binary length the connection is closed and Unbind gets
// an error wrapping ErrBinaryTooLong.
func TestHandlerBinaryTooLongClosesWithError(t *testing.T) {
	events, unbind := make(chan string, 16), make(chan error, 1)
	addr := listenLines(t, func(h **Handler) Receiver {
		return &unbindRecv{bodyRecv{h: h, events: events}, unbind}
	}, WithMaxBinaryLength(64))
	c, br := dial(t, addr)
	_, err := c.Write([]byte("SIZE 65\n"))
	require.NoError(t, err)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the server closes the connection")
	reason := wait(t, unbind, "Unbind")
	assert.ErrorIs(t, reason, ErrBinaryTooLong)
	assert.Empty(t, events)
}

// LineText2's unbind: a sized block cut short by the peer's close is
// handed over as far as it came, without the end-of-binary call.
func TestHandlerBlockCutShortOnUnbind(t *testing.T) {
	events := make(chan string, 16)
	addr := listenLines(t, func(h **Handler) Receiver { return &bodyRecv{h: h, events: events} })
	c, _ := dial(t, addr)
	_, err := c.Write([]byte("SIZE 1000\npartial"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	assert.Equal(t, "body partial", wait(t, events, "the partial body"))
	assert.Equal(t, "unbind EOF", wait(t, events, "unbind"))
}

// A streamed Handler hands the block over in pieces; a regexp delimiter
// and a throw back work through the Handler as through the Parser.
func TestHandlerStreamingRegexpThrowBack(t *testing.T) {
	events := make(chan string, 32)
	addr := listenLines(t, func(h **Handler) Receiver {
		return ReceiverFunc(func(c *reactor.Conn, l []byte) {
			events <- "line " + string(l)
			if string(l) == "again" {
				(*h).SetLineMode([]byte("thrown\nback\n"))
			}
		})
	}, WithDelimiterRegexp(regexp.MustCompile(`\r?\n`)), WithStreamingBinary())
	c, _ := dial(t, addr)
	_, err := c.Write([]byte("a\r\nagain\nb\n"))
	require.NoError(t, err)
	for _, want := range []string{"a", "again", "thrown", "back", "b"} {
		assert.Equal(t, "line "+want, wait(t, events, want))
	}
}

func TestRegexpWidth(t *testing.T) {
	tests := []struct {
		re     string
		lo, hi int
	}{
		{`\n`, 1, 1},
		{`\r?\n`, 1, 2},
		{`\r\n|\n`, 1, 2},
		{`[A-D]`, 1, 1},
		{`[;,]`, 1, 1},
		{`é`, 1, 2},
		{`(?i)k`, 1, 4},
		{`.`, 1, 4},
		{`[^a]`, 1, 4},
		{`\n+`, 1, -1},
		{`\n{2,3}`, 2, 3},
		{`x*`, 0, -1},
		{`^a`, 1, -1},
		{`a\b`, 1, -1},
		{`a|`, 0, 1},
	}
	for _, tc := range tests {
		lo, hi := regexpWidth(regexp.MustCompile(tc.re))
		assert.Equal(t, [2]int{tc.lo, tc.hi}, [2]int{lo, hi}, tc.re)
	}
}

func TestSetDelimiterRegexpEmptyMatchPanics(t *testing.T) {
	p := NewParser(&recorder{})
	assert.PanicsWithValue(t, "line: the delimiter /x*/ can match the empty string", func() {
		p.SetDelimiterRegexp(regexp.MustCompile(`x*`))
	})
	p.SetDelimiterRegexp(nil) // ignored
	assert.Nil(t, p.re)
}

// A delimiter changed while a line is unfinished applies to the bytes
// already held.
func TestParserDelimiterChangedMidLine(t *testing.T) {
	r := newRecorder()
	r.p.Feed([]byte("a;b"))
	r.p.SetDelimiterRegexp(regexp.MustCompile(`;`))
	r.p.Feed([]byte(";c;"))
	assert.Equal(t, []string{"L:a", "L:b", "L:c"}, r.events)
}

// Feed from a callback is a mistake that panics with the way out.
func TestParserFeedFromSinkPanics(t *testing.T) {
	s := &lt2{}
	s.p = NewParser(s)
	s.line = func(string) { s.p.Feed([]byte("x\n")) }
	assert.PanicsWithValue(t, "line: Parser.Feed called from its Sink; use SetLineMode(data) to hand bytes back", func() {
		s.p.Feed([]byte("a\n"))
	})
}
