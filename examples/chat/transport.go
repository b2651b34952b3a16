package main

import (
	"strings"

	"github.com/evmachine/evmachine/protocols/websocket"
	"github.com/evmachine/evmachine/reactor"
)

// transport is how the room reaches one client: a TCP connection that
// gets lines, or a browser's WebSocket that gets one message per line.
// Its methods run on the reactor goroutine.
type transport interface {
	write(p []byte) // one or more lines, each ending in '\n'
	outbound() int
	closeNow()
	closeAfterWriting()
	closed() bool
	remote() string
}

type tcpTransport struct{ c *reactor.Conn }

func (t tcpTransport) write(p []byte)     { t.c.Write(p) }
func (t tcpTransport) outbound() int      { return t.c.OutboundSize() }
func (t tcpTransport) closeNow()          { t.c.Close() }
func (t tcpTransport) closeAfterWriting() { t.c.CloseAfterWriting() }
func (t tcpTransport) closed() bool       { return t.c.Closed() }
func (t tcpTransport) remote() string     { return t.c.RemoteAddr().String() }

type wsTransport struct{ c *websocket.Conn }

func (t wsTransport) write(p []byte) {
	for line := range strings.SplitSeq(strings.TrimSuffix(string(p), "\n"), "\n") {
		t.c.Send(strings.ToValidUTF8(line, "\uFFFD")) // nc clients may send any bytes; a text message must be UTF-8
	}
}
func (t wsTransport) outbound() int      { return t.c.OutboundSize() }
func (t wsTransport) closeNow()          { t.c.Underlying().Close() }
func (t wsTransport) closeAfterWriting() { t.c.Close(websocket.CloseNormal, "bye") }
func (t wsTransport) closed() bool       { return t.c.Underlying().Closed() }
func (t wsTransport) remote() string     { return t.c.Underlying().RemoteAddr().String() }
