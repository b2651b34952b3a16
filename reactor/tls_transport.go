package reactor

import (
	"io"
	"net"
	"sync"
	"time"
)

// tlsTransport is the net.Conn under a Conn's tls.Conn: raw bytes the loop
// read from the socket go in (feed), and the records crypto/tls writes go
// to the socket. During the handshake it is shared by the loop and the
// handshake goroutine: Read blocks until the loop feeds bytes or the Conn
// closes, and the goroutine writes its records to the socket itself while
// nothing else is queued there (direct), else they wait for the loop (a
// tick moves them to the socket). Once the handshake is done the loop owns
// it alone: Read returns errWouldBlock when nothing is buffered, a
// temporary net.Error that crypto/tls treats as "no more bytes yet"
// (tlsdesign_test.go guards that), and Write goes straight to the socket's
// write path.
type tlsTransport struct {
	st           *tlsStage
	laddr, raddr net.Addr // read on the loop when the stage is installed

	mu     sync.Mutex
	cond   sync.Cond
	in     []byte  // raw input not yet read by crypto/tls
	left   int     // bytes of the record under way that Read has not handed over yet
	out    []byte  // handshake records not yet handed to the socket
	posted bool    // a tick that moves out to the socket is queued
	closed bool    // the Conn closed: Read fails, the socket is not written (release sets it before the fd closes)
	direct bool    // the handshake goroutine may write to fd itself (startDirect)
	fd     int     // the Conn's socket, for direct writes
	sent   int     // bytes the goroutine wrote itself, for the loop's counters
	batch  *[]byte // on the loop, inside encrypt: records collect here for one write
	eof    bool    // the peer closed its side: Read returns io.EOF once in is empty
	owned  bool    // the handshake is over: the loop alone uses the transport
}

// errWouldBlock tells crypto/tls that no more input is buffered yet.
var errWouldBlock error = tlsWouldBlock{}

type tlsWouldBlock struct{}

func (tlsWouldBlock) Error() string   { return "reactor: no more TLS input yet" }
func (tlsWouldBlock) Timeout() bool   { return false }
func (tlsWouldBlock) Temporary() bool { return true }

// errTransportClosed ends a handshake whose Conn closed.
var errTransportClosed = &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}

// maxHandshakeInput bounds the raw input buffered while the handshake
// runs: past it the Conn stops reading until the handshake is done (a
// peer that sends data right after its Finished cannot make the loop
// buffer without bound).
const maxHandshakeInput = 256 << 10

// feed appends raw input (on the loop) and wakes the handshake goroutine.
func (t *tlsTransport) feed(p []byte) {
	if t.owned {
		t.in = append(t.in, p...)
		return
	}
	t.mu.Lock()
	t.in = append(t.in, p...)
	t.cond.Signal()
	t.mu.Unlock()
}

// buffered returns the raw input not yet read by crypto/tls.
func (t *tlsTransport) buffered() int {
	if t.owned {
		return len(t.in)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.in)
}

// peerClosed makes Read return io.EOF once the input is used up: the
// handshake ends with crypto/tls's own error, not the loop's guess.
func (t *tlsTransport) peerClosed() {
	t.mu.Lock()
	t.eof = true
	t.cond.Broadcast()
	t.mu.Unlock()
}

// close makes Read fail (the Conn closed), ending a handshake.
func (t *tlsTransport) close() {
	t.mu.Lock()
	t.closed = true
	t.cond.Broadcast()
	t.mu.Unlock()
}

// recordHeaderLen is a TLS record's header: type, version, length.
const recordHeaderLen = 5

// chunk returns how many bytes of in Read may hand over now, at most max:
// never past the end of the record under way, so that crypto/tls, which
// reads only through Read, holds no byte of a later record once it has
// returned one (the stage's drain relies on it to skip a Read that could
// only say "no more yet"). At a record boundary it waits for the whole
// header, whose length field says where the record ends.
func (t *tlsTransport) chunk(max int) int {
	if t.left == 0 {
		if len(t.in) < recordHeaderLen {
			return 0
		}
		t.left = recordHeaderLen + (int(t.in[3])<<8 | int(t.in[4]))
	}
	return min(max, t.left, len(t.in))
}

// take hands over n bytes of in to p.
func (t *tlsTransport) take(p []byte, n int) int {
	n = copy(p, t.in[:n])
	t.in = t.in[n:]
	t.left -= n
	if len(t.in) == 0 {
		t.in = t.in[:0:0] // let the buffer go once drained
	}
	return n
}

// caughtUp reports, on the loop after the handshake, that crypto/tls has
// been handed whole records only and there is no more input: a Read now
// could only return errWouldBlock.
func (t *tlsTransport) caughtUp() bool { return len(t.in) == 0 && t.left == 0 }

// Read is crypto/tls reading raw input, a record at a time (chunk).
func (t *tlsTransport) Read(p []byte) (int, error) {
	if t.owned { // the loop's own call: never blocks
		n := t.chunk(len(p))
		if n == 0 {
			return 0, errWouldBlock
		}
		return t.take(p, n), nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		if t.closed {
			return 0, errTransportClosed
		}
		if n := t.chunk(len(p)); n > 0 {
			return t.take(p, n), nil
		}
		if t.eof {
			if len(t.in) == 0 {
				return 0, io.EOF
			}
			// A peer that closed within a record header: crypto/tls
			// gets the bytes, then the end.
			t.left = len(t.in)
			return t.take(p, min(len(p), len(t.in))), nil
		}
		t.cond.Wait()
	}
}

// Write is crypto/tls writing records: straight to the socket's write
// path on the loop, or, from the handshake goroutine, to out for a tick to
// move. It never fails: a failed socket write closes the Conn.
func (t *tlsTransport) Write(p []byte) (int, error) {
	if t.batch != nil {
		*t.batch = append(*t.batch, p...)
		return len(p), nil
	}
	if t.owned {
		t.st.c.writeSocket(p)
		return len(p), nil
	}
	n := len(p)
	t.mu.Lock()
	if t.direct {
		p = p[t.writeDirect(p):]
		if len(p) == 0 {
			t.mu.Unlock()
			return n, nil
		}
		t.direct = false // the rest goes through the loop, and so does every later record
	}
	t.out = append(t.out, p...)
	post := !t.posted
	t.posted = true
	t.mu.Unlock()
	if post {
		t.st.c.r.NextTick(t.st.moveOut)
	}
	return n, nil
}

// startDirect, on the loop before the handshake goroutine starts, lets it
// write its records to fd itself: the loop has nothing queued there
// (ordered before them), and it writes nothing else to the socket while
// the handshake runs (the handler's plaintext waits in the stage). A
// flight then leaves as soon as it is made, not when the loop next runs
// its ticks: with one P (GOMAXPROCS=1) that is after every handshake
// goroutine made runnable has had its turn, so flights left in bursts
// and the peers waited on them.
func (t *tlsTransport) startDirect(fd int) {
	t.direct, t.fd = true, fd
}

// writeDirect writes p to the socket from the handshake goroutine (t.mu
// held, so the loop cannot close the fd meanwhile) and returns how much
// the kernel took. It stops when the kernel takes no more (EAGAIN) or on
// an error: the rest goes through the loop, whose write path reports the
// error.
func (t *tlsTransport) writeDirect(p []byte) int {
	done := 0
	for done < len(p) && !t.closed {
		n, err := writeFd(t.fd, p[done:])
		if err == errIntr {
			continue
		}
		done += n
		if err != nil || n == 0 {
			break
		}
	}
	t.sent += done
	return done
}

// takeOut returns the handshake records written so far (on the loop) and
// how many bytes the handshake goroutine wrote itself since the last call.
func (t *tlsTransport) takeOut() ([]byte, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out, sent := t.out, t.sent
	t.out, t.posted, t.sent = nil, false, 0
	return out, sent
}

// handOver gives the transport to the loop alone, once the handshake
// goroutine has returned.
func (t *tlsTransport) handOver() {
	t.mu.Lock()
	t.owned = true
	t.mu.Unlock()
}

func (t *tlsTransport) Close() error { return nil }

func (t *tlsTransport) LocalAddr() net.Addr  { return t.laddr }
func (t *tlsTransport) RemoteAddr() net.Addr { return t.raddr }

func (t *tlsTransport) SetDeadline(time.Time) error      { return nil }
func (t *tlsTransport) SetReadDeadline(time.Time) error  { return nil }
func (t *tlsTransport) SetWriteDeadline(time.Time) error { return nil }
