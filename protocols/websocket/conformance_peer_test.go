package websocket

// The in-repository "autobahn-lite": a fuzzing peer that plays Autobahn's
// cases against evmachine's server (the peer is a client) and client (the
// peer is a server), with the case numbers of Autobahn|Testsuite and its
// verdicts OK, NON-STRICT and FAILED. Written from RFC 6455 and the public
// case descriptions; the real suite needs Docker and was not run here.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// Verdicts, as Autobahn reports them.
const (
	verdictOK        = "OK"
	verdictNonStrict = "NON-STRICT"
	verdictFailed    = "FAILED"
)

// peer is the fuzzing side of one case's connection.
type peer struct {
	conn   net.Conn
	br     *bufio.Reader
	client bool // the peer is the client: it masks, the agent is a server
	rd     Reader
	buf    []byte
	pmd    *deflate // permessage-deflate negotiated (sections 12, 13)

	sentClose bool
}

// frame encodes one frame as the peer's role requires (masked by a client).
func (p *peer) frame(fin bool, op Opcode, rsv byte, payload []byte) []byte {
	var key *[4]byte
	if p.client {
		key = &[4]byte{0x12, 0x34, 0x56, 0x78}
	}
	return AppendFrame(nil, fin, op, rsv, key, payload)
}

// send writes b in chops of chop bytes (0: at once).
func (p *peer) send(b []byte, chop int) {
	for len(b) > 0 {
		n := len(b)
		if chop > 0 && n > chop {
			n = chop
		}
		if _, err := p.conn.Write(b[:n]); err != nil {
			return // the agent may have failed the connection already
		}
		b = b[n:]
	}
}

func (p *peer) sendFrame(fin bool, op Opcode, payload []byte) {
	p.send(p.frame(fin, op, 0, payload), 0)
}

func (p *peer) sendClose(code uint16, reason string) {
	p.sentClose = true
	p.send(p.frame(true, OpClose, 0, AppendClose(nil, code, reason)), 0)
}

// outcome is what the agent did after the peer's frames.
type outcome struct {
	events    []Event // messages and pongs, in order
	gotClose  bool
	closeCode uint16
	tcpClosed bool
	err       error // the agent's frames broke the protocol
}

// next reads the agent's next message, pong or close frame within d.
func (p *peer) next(d time.Duration) (Event, error) {
	p.conn.SetReadDeadline(time.Now().Add(d))
	for {
		if len(p.buf) > 0 {
			n, ev, ok, err := p.rd.Next(p.buf)
			p.buf = p.buf[n:]
			if err != nil {
				return ev, err
			}
			if ok {
				ev.Payload = append([]byte{}, ev.Payload...)
				if ev.Compressed {
					out, err := p.pmd.inflate(ev.Payload, 64<<20, ev.Op == OpText)
					if err != nil {
						return ev, err
					}
					ev.Payload, ev.Compressed = append([]byte{}, out...), false
				}
				return ev, nil
			}
			continue
		}
		chunk := make([]byte, 64<<10)
		n, err := p.br.Read(chunk)
		if n > 0 {
			p.buf = append(p.buf, chunk[:n]...)
			continue
		}
		return Event{}, err
	}
}

// collect reads until the agent closes the TCP connection or d passes,
// answering its close frame as a peer does. want messages are awaited
// first (so that a close sent after them is not early).
func (p *peer) collect(d time.Duration) outcome {
	var o outcome
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ev, err := p.next(time.Until(deadline))
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), isReset(err):
				o.tcpClosed = true
			default:
				o.err = err
			}
			return o
		}
		switch ev.Op {
		case OpClose:
			o.gotClose = true
			o.closeCode, _ = ParseClose(ev.Payload)
			if !p.sentClose {
				p.sendClose(o.closeCode, "")
			}
			if !p.client { // a server closes the TCP connection first
				p.conn.Close()
				o.tcpClosed = true
				return o
			}
		case OpPing:
		default:
			o.events = append(o.events, ev)
		}
	}
	return o
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset by peer") || strings.Contains(err.Error(), "broken pipe"))
}

// expectEcho closes normally and judges: the agent must have sent want,
// then echoed the close with 1000 and closed cleanly.
func (p *peer) expectEcho(want ...Event) string {
	o := p.awaitEvents(len(want))
	if !o.gotClose {
		p.sendClose(CloseNormal, "")
		o2 := p.collect(2 * time.Second)
		o.gotClose, o.closeCode, o.tcpClosed, o.err = o2.gotClose, o2.closeCode, o2.tcpClosed, o2.err
		o.events = append(o.events, o2.events...)
	}
	return judge(o, want, []uint16{CloseNormal}, true)
}

// awaitEvents reads until n messages/pongs arrived, a close came, or the
// time is up.
func (p *peer) awaitEvents(n int) outcome {
	var o outcome
	deadline := time.Now().Add(10 * time.Second)
	for len(o.events) < n && time.Now().Before(deadline) {
		ev, err := p.next(time.Until(deadline))
		if err != nil {
			o.err = err
			o.tcpClosed = !isTimeout(err)
			return o
		}
		switch ev.Op {
		case OpClose:
			o.gotClose = true
			o.closeCode, _ = ParseClose(ev.Payload)
			return o
		case OpPing:
		default:
			o.events = append(o.events, ev)
		}
	}
	return o
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// expectFail judges a case whose expectation is "the connection is failed
// (with one of codes) or the TCP connection dropped", after the messages
// want.
func (p *peer) expectFail(want []Event, codes ...uint16) string {
	o := p.collect(3 * time.Second)
	return judge(o, want, codes, false)
}

// judge gives the verdict: the events must match; the agent must have
// closed the TCP connection, with a close frame whose code is one of codes
// (a bare TCP drop is also OK when !requireClose, as Autobahn's "or drop
// TCP").
func judge(o outcome, want []Event, codes []uint16, requireClose bool) string {
	if o.err != nil && !o.tcpClosed {
		return fmt.Sprintf("%s: agent broke the protocol: %v", verdictFailed, o.err)
	}
	if !eventsEqual(o.events, want) {
		return fmt.Sprintf("%s: got %s, want %s", verdictFailed, describe(o.events), describe(want))
	}
	if !o.tcpClosed {
		return verdictFailed + ": the agent did not close the TCP connection"
	}
	if !o.gotClose {
		if requireClose {
			return verdictFailed + ": no close frame"
		}
		return verdictOK
	}
	for _, c := range codes {
		if o.closeCode == c {
			return verdictOK
		}
	}
	return fmt.Sprintf("%s: close code %d, want one of %v", verdictFailed, o.closeCode, codes)
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Op != b[i].Op || !bytes.Equal(a[i].Payload, b[i].Payload) {
			return false
		}
	}
	return true
}

func describe(evs []Event) string {
	var parts []string
	for _, e := range evs {
		parts = append(parts, fmt.Sprintf("%#x/%d bytes", byte(e.Op), len(e.Payload)))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func text(s string) Event { return Event{Op: OpText, Payload: []byte(s)} }
func bin(b []byte) Event  { return Event{Op: OpBinary, Payload: b} }
func pong(s string) Event { return Event{Op: OpPong, Payload: []byte(s)} }

// agentConfig is the echo agent's configuration (Autobahn's "echo" test
// agent): everything received is sent back as it came.
func agentConfig(compress bool) *Config {
	cfg := echoConfig()
	cfg.MaxMessage = 64 << 20
	cfg.MaxFrame = 64 << 20
	cfg.Compression = compress
	cfg.CloseTimeout = 2 * time.Second
	return cfg
}

// serverPeer connects a client peer to evmachine's server at addr with
// the handshake (extensions: a Sec-WebSocket-Extensions offer or "").
func serverPeer(t *testing.T, addr, extensions string) *peer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(watchdog))
	key := base64.StdEncoding.EncodeToString([]byte("autobahn-lite-16"))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	if extensions != "" {
		req += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, 101, resp.StatusCode)
	require.Equal(t, AcceptKey(key), resp.Header.Get("Sec-WebSocket-Accept"))
	p := &peer{conn: conn, br: br, client: true, rd: Reader{Role: RoleClient, MaxFrame: 64 << 20, MaxMessage: 64 << 20}}
	if d, ok := clientDeflate(resp.Header, extensions != "", false); ok && d != nil {
		p.pmd, p.rd.AllowRSV1 = d, true
	}
	return p
}

// clientPeer has evmachine's client (the echo agent) connect to a server
// peer, and returns the peer once the handshake is done. accept answers
// the client's extension offer ("" declines).
func clientPeer(t *testing.T, r *reactor.Reactor, cfg *Config, accept func(h http.Header) (string, *deflate)) *peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	onLoop(t, r, func() { _, err := Dial(r, "ws://"+ln.Addr().String()+"/", cfg); require.NoError(t, err) })
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(watchdog))
	conn, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(watchdog))
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	require.NoError(t, err)
	head := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + AcceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
	p := &peer{conn: conn, br: br, rd: Reader{Role: RoleServer, MaxFrame: 64 << 20, MaxMessage: 64 << 20}}
	if accept != nil {
		if answer, d := accept(req.Header); d != nil {
			head += "Sec-WebSocket-Extensions: " + answer + "\r\n"
			p.pmd, p.rd.AllowRSV1 = d, true
		}
	}
	_, err = io.WriteString(conn, head+"\r\n")
	require.NoError(t, err)
	return p
}
