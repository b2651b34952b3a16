package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

const (
	readChunk = 64 << 10 // one ReadAt
	readSlice = 1 << 20  // read per callback before yielding to the loop
	maxLine   = 64 << 10 // a longer line is cut: memory stays bounded
)

// follower follows one path as tail -F: the file open at that path, read
// from the last offset whenever its watch says it was modified; a
// truncated file is read again from its start; a file moved or deleted is
// read to its end and let go, and the path is polled until a file is
// there again, which is then read from its start. Its methods run on the
// reactor goroutine.
type follower struct {
	reactor.BaseFileWatcher
	r       *reactor.Reactor
	log     *slog.Logger
	path    string
	emit    func(path string, line []byte) // a complete line, without its '\n'
	flushed func()                         // after each read: the lines may be written out

	file    *os.File // nil while the path is waited for
	info    os.FileInfo
	w       *reactor.FileWatch
	off     int64
	partial []byte // the start of an unterminated last line
	buf     []byte
}

// start opens the path (from its end when fromStart is false, as tail -F)
// or waits for it, and polls every poll for a replaced or reappearing file
// (and for changes a watch may miss).
func (f *follower) start(fromStart bool, poll time.Duration) {
	f.buf = make([]byte, readChunk)
	if !f.open(fromStart) {
		f.log.Warn("waiting for the file to appear", "path", f.path)
	}
	f.r.AddPeriodicTimer(poll, f.check)
}

// open opens and watches the path; false if there is nothing there (yet).
func (f *follower) open(fromStart bool) bool {
	file, err := os.Open(f.path)
	if err != nil {
		if !os.IsNotExist(err) {
			f.log.Debug("open", "path", f.path, "err", err)
		}
		return false
	}
	info, err := file.Stat()
	if err == nil {
		f.w, err = f.r.WatchFile(f.path, f)
	}
	if err != nil {
		f.log.Warn("watch", "path", f.path, "err", err)
		file.Close()
		return false
	}
	f.file, f.info, f.off, f.partial = file, info, 0, f.partial[:0]
	if !fromStart {
		f.off = info.Size()
	}
	f.log.Info("following", "path", f.path, "offset", f.off)
	f.read(readSlice)
	return true
}

// read reads what was appended since the last offset, at most limit bytes
// (the rest from a tick, so that one busy file cannot hold the loop);
// a file shorter than the offset was truncated and is read from 0.
func (f *follower) read(limit int) {
	if f.file == nil {
		return
	}
	defer f.flushed()
	info, err := f.file.Stat()
	if err != nil {
		f.log.Warn("stat", "path", f.path, "err", err)
		return
	}
	if info.Size() < f.off {
		f.log.Info("file truncated", "path", f.path, "size", info.Size(), "offset", f.off)
		f.off, f.partial = 0, f.partial[:0]
	}
	for n := 0; f.off < info.Size(); {
		if n >= limit {
			f.r.NextTick(func() { f.read(readSlice) })
			return
		}
		m, err := f.file.ReadAt(f.buf, f.off)
		f.off += int64(m)
		n += m
		f.lines(f.buf[:m])
		if err != nil {
			if err != io.EOF {
				f.log.Warn("read", "path", f.path, "err", err)
			}
			return
		}
	}
}

// lines emits the complete lines of data and keeps the unterminated rest.
func (f *follower) lines(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 { // no newline: keep it, bounded
			f.partial = append(f.partial, data...)
			if len(f.partial) >= maxLine {
				f.emit(f.path, f.partial)
				f.partial = f.partial[:0]
			}
			return
		}
		if len(f.partial) > 0 {
			f.partial = append(f.partial, data[:i]...)
			f.emit(f.path, f.partial)
			f.partial = f.partial[:0]
		} else {
			f.emit(f.path, data[:i])
		}
		data = data[i+1:]
	}
}

// FileModified reads what was appended (or, if truncated, the new start).
func (f *follower) FileModified(*reactor.FileWatch) { f.read(readSlice) }

// FileMoved: the file was rotated away. It is read to its end and let go;
// a new file at the path is followed from its start.
func (f *follower) FileMoved(*reactor.FileWatch) {
	f.release("file moved")
	f.open(true)
}

// FileDeleted: the watch has ended (the file is gone): let it go.
func (f *follower) FileDeleted(*reactor.FileWatch) {
	f.w = nil
	f.release("file deleted")
}

// AttributesChanged catches a deletion while the file is still open here
// (Linux reports FileDeleted only once the last descriptor is closed): its
// link count went to 0.
func (f *follower) AttributesChanged(*reactor.FileWatch) {
	if f.file == nil {
		return
	}
	if info, err := f.file.Stat(); err == nil && linkCount(info) == 0 {
		f.release("file deleted")
	}
}

// check runs every poll interval: it opens a file that appeared at the
// path, lets go of one the path no longer leads to, and reads what a watch
// may have missed.
func (f *follower) check() {
	if f.file == nil {
		f.open(true)
		return
	}
	info, err := os.Stat(f.path)
	switch {
	case err != nil && os.IsNotExist(err):
		f.release("file gone")
	case err == nil && !os.SameFile(info, f.info):
		f.release("file replaced")
		f.open(true)
	default:
		f.read(readSlice)
	}
}

// release reads the file to its end, emits an unterminated last line,
// stops watching it and closes it; check will wait for the path.
func (f *follower) release(why string) {
	if f.file == nil {
		return
	}
	f.read(int(^uint(0) >> 1))
	if len(f.partial) > 0 {
		f.emit(f.path, f.partial)
		f.partial = f.partial[:0]
		f.flushed()
	}
	if f.w != nil {
		f.w.Close() // its Unbind does nothing
		f.w = nil
	}
	f.file.Close()
	f.file = nil
	f.log.Info(why+"; waiting for the path", "path", f.path)
}

// linkCount returns the file's number of hard links (1 if unknown).
func linkCount(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
