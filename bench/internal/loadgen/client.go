package loadgen

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/evmachine/evmachine/reactor"
)

// client is one connection's handler. A request is Size bytes: an 8-byte
// sequence number that changes every round trip, the 4-byte connection id,
// then a pattern that differs per connection, so that a reply sent to the
// wrong connection, a stale reply or a corrupted byte are all caught.
type client struct {
	reactor.BaseHandler
	g         *gen
	id        int
	slot      int // Churn: the index in gen.clients
	c         *reactor.Conn
	msg       []byte // the request in flight; the reply must equal it
	got       int    // reply bytes checked so far
	seq       uint64
	sentAt    int64
	dialAt    int64 // Churn: when the connect began
	readyDone bool  // the first round trip (connect phase) is done
	dead      bool  // closed by us or lost; no further counting
}

func newClient(g *gen, id, size int) *client {
	msg := make([]byte, size)
	binary.LittleEndian.PutUint32(msg[8:], uint32(id))
	for i := 12; i < size; i++ {
		msg[i] = byte(id*31 + i*7)
	}
	return &client{g: g, id: id, msg: msg}
}

// ConnectionCompleted sends the first request: a connection counts as
// connected once the server has answered it.
func (cl *client) ConnectionCompleted(c *reactor.Conn) {
	cl.c = c
	cl.send()
}

func (cl *client) send() {
	cl.seq++
	binary.LittleEndian.PutUint64(cl.msg, cl.seq)
	cl.got = 0
	cl.sentAt = cl.g.now()
	cl.c.Write(cl.msg) // copies what the kernel does not take at once
}

// ReceiveData checks every byte against the request in flight.
func (cl *client) ReceiveData(c *reactor.Conn, data []byte) {
	if cl.dead {
		return
	}
	want := cl.msg[cl.got:]
	if len(data) > len(want) || !bytes.Equal(data, want[:len(data)]) {
		cl.mismatch(data)
		return
	}
	cl.got += len(data)
	if cl.got == len(cl.msg) {
		cl.complete()
	}
}

func (cl *client) mismatch(data []byte) {
	g := cl.g
	g.res.Mismatches++
	what := "reply longer than the request"
	if len(data) <= len(cl.msg)-cl.got {
		i := 0
		for i < len(data) && data[i] == cl.msg[cl.got+i] {
			i++
		}
		what = fmt.Sprintf("byte %d of the reply is %#02x, sent %#02x", cl.got+i, data[i], cl.msg[cl.got+i])
	}
	g.recordError("mismatch", fmt.Errorf("connection %d, request %d: %s", cl.id, cl.seq, what))
	cl.dead = true
	switch {
	case cl.readyDone:
	case g.cfg.Churn:
		g.failed++
		g.churnNext(cl)
	default:
		g.inflight--
		g.failed++
		g.dialMore()
	}
	cl.c.Close()
}

// complete runs when the whole reply came back: count it, then send the
// next request unless the load has not started or is over.
func (cl *client) complete() {
	g := cl.g
	if !cl.readyDone {
		cl.readyDone = true
		if g.cfg.Churn {
			g.churnDone(cl)
			return
		}
		g.firstReply()
		return
	}
	if g.ph == phMeasuring {
		g.window++
		lat := (g.now() - cl.sentAt) / 1e3 // µs
		if err := g.hist.RecordValue(max(lat, 1)); err != nil {
			g.hist.RecordValue(g.hist.HighestTrackableValue())
		}
	}
	g.total++
	if g.ph == phWarmup || g.ph == phMeasuring {
		cl.send()
	}
}

// TLSHandshakeCompleted notes what the first TLS connection negotiated.
func (cl *client) TLSHandshakeCompleted(c *reactor.Conn) {
	if cl.g.res.TLSVersion != "" {
		return
	}
	if st, ok := c.TLSState(); ok {
		cl.g.res.TLSVersion = tls.VersionName(st.Version)
		cl.g.res.TLSGroup = st.CurveID.String()
	}
}

// Unbind counts a connection lost before the run ended.
func (cl *client) Unbind(c *reactor.Conn, reason error) {
	g := cl.g
	if g.stopping || cl.dead {
		return
	}
	cl.dead = true
	if reason == nil {
		reason = errors.New("closed")
	}
	switch {
	case g.cfg.Churn && !cl.readyDone:
		g.churnFailed(cl, reason)
		return
	case !cl.readyDone:
		g.connectFailed(reason)
		return
	}
	g.res.Dropped++
	g.recordError("dropped", fmt.Errorf("connection %d: %w", cl.id, reason))
}
