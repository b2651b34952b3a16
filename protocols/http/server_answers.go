package http

import "sync"

// The answers of a connection go out in request order: the oldest
// Response writes straight to the connection (through the batch while a
// read is being parsed); the others hold their bytes until they are the
// oldest.

// write sends b now, or adds it to the batch while parsing.
func (sc *serverConn) write(b []byte) {
	if sc.closed {
		return
	}
	if sc.inData {
		if sc.batch == nil {
			sc.batch = serverGetBuf()
		}
		*sc.batch = append(*sc.batch, b...)
		return
	}
	sc.c.Write(b)
}

// flushBatch sends the answers batched during a parse in one write.
func (sc *serverConn) flushBatch() {
	if sc.batch == nil {
		return
	}
	if !sc.closed {
		sc.c.Write(*sc.batch)
	}
	serverPutBuf(sc.batch)
	sc.batch = nil
	sc.notifyDrained()
}

// advance writes what the oldest answers have ready and retires the
// complete ones; the next one then becomes the oldest and its held bytes
// go out. It is called whenever the oldest answer may have progressed.
func (sc *serverConn) advance() {
	promoted := false
	for len(sc.queue) > 0 && !sc.closed {
		w := sc.queue[0]
		if len(w.held) > 0 {
			sc.write(w.held)
			w.held, promoted = nil, true
		}
		if !w.ended {
			break
		}
		copy(sc.queue, sc.queue[1:])
		sc.queue[len(sc.queue)-1] = nil
		sc.queue = sc.queue[:len(sc.queue)-1]
		if w.closeAfter {
			sc.finish()
			return
		}
	}
	if len(sc.queue) == 0 {
		sc.idleSince = sc.c.Reactor().Now()
		if sc.closing && sc.stream == nil {
			sc.finish()
			return
		}
	}
	if sc.cont && !sc.inData && !sc.earlierPending() {
		sc.sendContinue()
	}
	sc.resume()
	if sc.inData {
		return
	}
	if promoted {
		sc.notifyDrained()
	}
	sc.atEOF()
	sc.updateTimer()
}

// notifyDrained tells the oldest answer, if it asked with OnDrained, that
// everything written so far has gone to the kernel.
func (sc *serverConn) notifyDrained() {
	if len(sc.queue) == 0 || sc.closed {
		return
	}
	if w := sc.queue[0]; w.onDrained != nil && !w.ended && w.OutboundSize() == 0 {
		w.onDrained()
	}
}

// finish closes the connection once what is written has been sent.
func (sc *serverConn) finish() {
	sc.closing = true
	if sc.closed {
		return
	}
	sc.flushBatch()
	sc.c.CloseAfterWriting()
}

// serverBufs recycles the buffers answers are assembled in.
var serverBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func serverGetBuf() *[]byte { return serverBufs.Get().(*[]byte) }

func serverPutBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	serverBufs.Put(b)
}
