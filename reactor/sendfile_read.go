package reactor

import (
	"io"
	"os"
)

// fileReader is SendFile's fallback: a goroutine reads the file a chunk at
// a time, each when the loop asks for it, and hands it to the loop, which
// writes it through the Conn's write path (its stage: TLS encrypts it).
// The goroutine keeps the loop from blocking on a pipe with nothing to
// read; asking for one chunk at a time, once the previous one went to the
// kernel, keeps memory flat.
type fileReader struct {
	buf      []byte
	more     chan int      // the loop wants up to this many bytes
	stop     chan struct{} // closed when the SendFile ends
	inFlight bool          // asked for, not delivered yet (loop-owned, as below)
	finished bool          // the file ended or failed: err says which
	err      error
}

// readSome moves a fallback SendFile on: it asks for the next chunk, or
// reports that the file is done (finished) and how.
func (r *Reactor) readSome(c *Conn, j *fileJob) (finished bool, err error) {
	rd := j.rd
	if rd == nil {
		rd = &fileReader{buf: make([]byte, fileChunk), more: make(chan int, 1), stop: make(chan struct{})}
		j.rd = rd
		go rd.run(r, c, j, j.f, j.off, j.seek)
	}
	switch {
	case rd.finished:
		if rd.err == io.EOF {
			if j.left > 0 {
				return true, io.ErrUnexpectedEOF
			}
			return true, nil
		}
		return true, rd.err
	case rd.inFlight:
		return false, nil
	}
	want := fileChunk
	if j.left > 0 {
		want = int(min(int64(want), j.left))
	}
	rd.inFlight = true
	rd.more <- want
	c.updateInterest() // nothing to write until the chunk comes
	return false, nil
}

// run is the reader goroutine.
func (rd *fileReader) run(r *Reactor, c *Conn, j *fileJob, f *os.File, off int64, seek bool) {
	for {
		var want int
		select {
		case want = <-rd.more:
		case <-rd.stop:
			return
		}
		var n int
		var err error
		if seek {
			n, err = f.ReadAt(rd.buf[:want], off)
			off += int64(n)
		} else {
			n, err = f.Read(rd.buf[:want])
		}
		if !r.post(func() { r.fileChunk(c, j, n, err) }) {
			return // the reactor stopped
		}
	}
}

// fileChunk takes a chunk the reader read (on the loop): it goes through
// the Conn's write path, and the SendFile moves on once it went to the
// kernel.
func (r *Reactor) fileChunk(c *Conn, j *fileJob, n int, err error) {
	if c.flags&fClosed != 0 || c.sf == nil || len(c.sf.jobs) == 0 || c.sf.jobs[0] != j {
		return // the SendFile was aborted meanwhile
	}
	rd := j.rd
	if n > 0 {
		j.sent += int64(n)
		j.off += int64(n)
		if j.left > 0 {
			j.left -= int64(n)
		}
		c.lastActive = r.nowNs
		c.st.write(c, rd.buf[:n]) // copies what the kernel does not take
		if c.flags&fClosed != 0 {
			return
		}
	}
	rd.inFlight = false
	switch {
	case err != nil:
		rd.finished, rd.err = true, err
	case j.left == 0:
		rd.finished = true
	}
	if c.wroteAll() && !c.writeHeld() {
		r.outputDrained(c)
		return
	}
	c.updateInterest()
}
