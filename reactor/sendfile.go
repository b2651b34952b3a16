package reactor

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// sendfileBudget bounds the bytes one writability of a Conn sends with
// sendfile(2), so that one fast reader cannot starve the others (the
// kernel takes at most its socket buffer's free room per call anyway).
const sendfileBudget = 4 << 20

// fileChunk is what the read+write fallback reads at a time: the most a
// SendFile holds in memory, besides what the socket has not taken.
const fileChunk = 64 << 10

// fileQueue is a Conn's SendFiles, in the order they were asked for, each
// with the bytes written after it. It is made by the first SendFile and
// kept: Write asks it whether it must hold its bytes back.
type fileQueue struct {
	jobs     []*fileJob
	pumping  bool // pumpFiles is running: a SendFile from a done waits for it
	shutdown bool // the stage's shutdown waits for the files (shutdownStage)
}

// shutdownStage tells the stage that the Conn will write nothing more
// (CloseAfterWriting, CloseWrite), once pending SendFiles are sent: a TLS
// close_notify must follow the file.
func (c *Conn) shutdownStage() {
	if c.sf.holdsWrites() {
		c.sf.shutdown = true
		return
	}
	c.st.shutdown(c)
}

// fileJob is one SendFile.
type fileJob struct {
	f      *os.File // a dup of the caller's file: the caller may close its own
	fd     int      // f's descriptor
	off    int64
	left   int64 // bytes still to send; < 0: until EOF
	sent   int64
	done   func(sent int64, err error)
	tail   []byte // bytes written after this SendFile, before the next
	kernel bool   // sendfile(2); else the fallback
	seek   bool   // a regular file: read at off; else read on from where it is
	rd     *fileReader
}

// SendFile sends n bytes of f from offset to the peer, as EventMachine's
// stream_file_data, after everything written before it and before
// everything written after it, then calls done on the reactor goroutine
// with the bytes sent and nil, or the error that ended it. done is called
// exactly once: also when the Conn closes before the file is sent (with
// the Conn's close reason, or ErrClosed after a local Close), and, from a
// tick, when the Conn is closed or closing already. n < 0 sends until the
// end of the file. A file shorter than n ends with io.ErrUnexpectedEOF;
// the Conn stays open either way (what the stream means now is the
// handler's call).
//
// On Linux a regular file on a plain Conn goes with sendfile(2), as fast
// as the peer reads and never through memory; the reactor asks for the
// next bytes only when the socket is writable, so a slow peer costs no
// memory. Elsewhere (a TLS or proxying Conn, a pipe or other file that is
// not regular, the BSDs) the file is read 64 KiB at a time by a goroutine
// of its own, each chunk written through the Conn's write path once the
// previous one went to the kernel. offset is where a regular file is read
// from; a file that cannot seek (a pipe) is read from where it is, and
// is switched to non-blocking mode (the flag is shared with f), so that
// closing the Conn ends a read that waits on it. The reactor reads a
// duplicate of f's descriptor: the caller may close f at once. There is
// no size limit. OutboundSize counts the bytes written after a pending
// SendFile, not the file; CloseAfterWriting waits for the files; Detach
// is refused while one is pending. Must be called on the reactor
// goroutine.
func (c *Conn) SendFile(f *os.File, offset, n int64, done func(sent int64, err error)) {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.SendFile")
	}
	if done == nil {
		done = func(int64, error) {}
	}
	if c.flags&(fClosed|fCloseAfterWriting|fWriteShut) != 0 {
		c.r.NextTick(func() { done(0, ErrClosed) })
		return
	}
	j, err := newFileJob(f, offset, n, done)
	if err != nil {
		c.r.NextTick(func() { done(0, err) })
		return
	}
	if c.sf == nil {
		c.sf = &fileQueue{}
	}
	c.sf.jobs = append(c.sf.jobs, j)
	if len(c.sf.jobs) == 1 && !c.sf.pumping && c.wroteAll() && c.flags&(fConnecting|fResolving) == 0 && !c.writeHeld() {
		c.r.pumpFiles(c)
		return
	}
	c.updateInterest()
}

// newFileJob duplicates f's descriptor for a SendFile.
func newFileJob(f *os.File, offset, n int64, done func(int64, error)) (*fileJob, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(sfd uintptr) { fd, derr = unix.FcntlInt(sfd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, os.NewSyscallError("fcntl", derr)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		closeFd(fd)
		return nil, os.NewSyscallError("fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		// Pollable, so that closing it ends the reader's blocked Read.
		unix.SetNonblock(fd, true)
	}
	j := &fileJob{f: os.NewFile(uintptr(fd), f.Name()), fd: fd, off: max(offset, 0), left: n, done: done,
		seek: st.Mode&unix.S_IFMT == unix.S_IFREG}
	return j, nil
}

// holdsWrites reports whether a Write must wait behind a SendFile.
func (q *fileQueue) holdsWrites() bool { return q != nil && len(q.jobs) > 0 }

// hold keeps p for after the last SendFile.
func (q *fileQueue) hold(p []byte) {
	j := q.jobs[len(q.jobs)-1]
	j.tail = append(j.tail, p...)
}

// held is the bytes written after pending SendFiles.
func (q *fileQueue) held() int {
	if q == nil {
		return 0
	}
	n := 0
	for _, j := range q.jobs {
		n += len(j.tail)
	}
	return n
}

// ready reports whether the first SendFile can go on once the socket is
// writable (not while the fallback's reader has a chunk to deliver, nor
// while a stage holds output).
func (q *fileQueue) ready(c *Conn) bool {
	return len(q.jobs) > 0 && (q.jobs[0].rd == nil || !q.jobs[0].rd.inFlight) && c.st.held() == 0
}

// pumpFiles moves the first SendFile on; it runs when everything written
// before it went to the kernel. It reports whether SendFiles are still
// pending (the caller then waits: no drained notice, no pending close).
func (r *Reactor) pumpFiles(c *Conn) bool {
	q := c.sf
	if q.pumping {
		return true
	}
	q.pumping = true
	defer func() { q.pumping = false }()
	for len(q.jobs) > 0 {
		if c.flags&fClosed != 0 || c.writeHeld() {
			return true
		}
		j := q.jobs[0]
		var err error
		if j.left != 0 {
			if j.rd == nil && !j.kernel && j.sent == 0 {
				j.kernel = sendfileSupported && j.seek && c.isPlain()
			}
			var finished bool
			if j.kernel {
				finished, err = r.sendfileSome(c, j)
			} else {
				finished, err = r.readSome(c, j)
			}
			if !finished {
				return true
			}
		}
		q.jobs = q.jobs[1:]
		if len(q.jobs) == 0 {
			q.jobs = nil
		}
		j.close()
		if len(j.tail) > 0 && c.flags&fClosed == 0 {
			c.st.write(c, j.tail)
		}
		r.fileDone(c, j, err)
		if c.flags&fClosed != 0 {
			return true
		}
		if !c.wroteAll() {
			c.updateInterest()
			return true
		}
	}
	return false
}

// wroteAll reports whether everything written ahead of the first SendFile
// went to the kernel.
func (c *Conn) wroteAll() bool { return len(c.out) == c.outHead && c.st.held() == 0 }

// sendfileSome sends with sendfile(2) until the file is done, the kernel
// pushes back or the budget is spent; finished says the SendFile is over
// (err: why, if it failed).
func (r *Reactor) sendfileSome(c *Conn, j *fileJob) (finished bool, err error) {
	for budget := sendfileBudget; budget > 0; {
		chunk := int64(budget)
		if j.left > 0 {
			chunk = min(chunk, j.left)
		}
		n, err := sendfileFd(c.fd, j.fd, &j.off, int(chunk))
		if n > 0 {
			j.sent += int64(n)
			if j.left > 0 {
				j.left -= int64(n)
			}
			budget -= n
			c.lastActive = r.nowNs
			r.stats.bytesOut += uint64(n)
		}
		switch {
		case err == errAgain:
			c.updateInterest()
			return false, nil
		case err == errIntr:
		case err != nil && j.sent == 0 && sendfileUnsupported(err):
			j.kernel = false // a file sendfile cannot read: the fallback
			return r.readSome(c, j)
		case err != nil:
			err = syscallErr("sendfile", err)
			c.closeWith(err)
			return true, err
		case j.left == 0:
			return true, nil
		case n == 0: // end of file
			if j.left > 0 {
				return true, io.ErrUnexpectedEOF
			}
			return true, nil
		}
	}
	c.updateInterest() // budget spent: on at the next writability
	return false, nil
}

// fileDone calls a SendFile's done; a panic there closes the Conn.
func (r *Reactor) fileDone(c *Conn, j *fileJob, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.connPanic(c, v)
		}
	}()
	j.done(j.sent, err)
}

// close releases the job's file and stops its reader.
func (j *fileJob) close() {
	if j.rd != nil {
		close(j.rd.stop)
	}
	j.f.Close() // also ends a reader's blocked Read of a pipe
}

// abortFiles ends the SendFiles of a Conn being swept: each done hears
// the Conn's close reason (ErrClosed after a local Close).
func (r *Reactor) abortFiles(c *Conn) {
	q := c.sf
	if q == nil || len(q.jobs) == 0 {
		return
	}
	jobs := q.jobs
	q.jobs = nil
	err := c.reason
	if err == nil {
		err = ErrClosed
	}
	for _, j := range jobs {
		j.close()
		func() {
			defer func() {
				if v := recover(); v != nil {
					r.callbackPanic(v)
				}
			}()
			j.done(j.sent, err)
		}()
	}
}
