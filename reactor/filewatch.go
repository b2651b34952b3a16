package reactor

import (
	"errors"
	"fmt"
)

// FileWatcher receives a FileWatch's events (EventMachine's EM::FileWatch:
// file_modified, file_moved, file_deleted, unbind). The loop calls its
// methods on the reactor goroutine, in the order the kernel reported the
// changes. A handler that also implements AttributesWatcher hears about
// attribute changes.
type FileWatcher interface {
	// FileModified runs when the file's contents changed (for a watched
	// directory: an entry was created, deleted or renamed).
	FileModified(w *FileWatch)
	// FileMoved runs when the file was renamed or moved; the watch goes
	// on, and Path stays the path it was opened with.
	FileMoved(w *FileWatch)
	// FileDeleted runs when the file is gone: its last link removed and,
	// on Linux, no longer open anywhere (on the BSDs, any unlink of it).
	// The watch ends then: Unbind follows with a nil reason.
	FileDeleted(w *FileWatch)
	// Unbind runs exactly once, when the watch ends: nil after
	// FileDeleted or Close, ErrStopped when the reactor stopped (a
	// Shutdown does not wait for watches), ErrUnmounted when the kernel
	// ended the watch.
	Unbind(w *FileWatch, reason error)
}

// AttributesWatcher is implemented by FileWatchers that want to hear about
// attribute changes: permissions, ownership, timestamps, link count
// (inotify's IN_ATTRIB, kqueue's NOTE_ATTRIB). EventMachine has no such
// callback.
type AttributesWatcher interface {
	AttributesChanged(w *FileWatch)
}

// BaseFileWatcher implements FileWatcher with methods that do nothing,
// for embedding.
type BaseFileWatcher struct{}

func (BaseFileWatcher) FileModified(*FileWatch)  {}
func (BaseFileWatcher) FileMoved(*FileWatch)     {}
func (BaseFileWatcher) FileDeleted(*FileWatch)   {}
func (BaseFileWatcher) Unbind(*FileWatch, error) {}

// FileWatcherFuncs implements FileWatcher with closures; nil fields do
// nothing. It implements AttributesWatcher too, and hears about attribute
// changes only when OnAttributesChanged is set.
type FileWatcherFuncs struct {
	OnModified, OnMoved, OnDeleted, OnAttributesChanged func(w *FileWatch)
	OnUnbind                                            func(w *FileWatch, reason error)
}

func (f FileWatcherFuncs) FileModified(w *FileWatch) { call1(f.OnModified, w) }
func (f FileWatcherFuncs) FileMoved(w *FileWatch)    { call1(f.OnMoved, w) }
func (f FileWatcherFuncs) FileDeleted(w *FileWatch)  { call1(f.OnDeleted, w) }
func (f FileWatcherFuncs) AttributesChanged(w *FileWatch) {
	call1(f.OnAttributesChanged, w)
}

func (f FileWatcherFuncs) Unbind(w *FileWatch, reason error) {
	if f.OnUnbind != nil {
		f.OnUnbind(w, reason)
	}
}

func call1(fn func(*FileWatch), w *FileWatch) {
	if fn != nil {
		fn(w)
	}
}

// wantsAttributes reports whether h hears about attribute changes.
func wantsAttributes(h FileWatcher) bool {
	if f, ok := h.(FileWatcherFuncs); ok {
		return f.OnAttributesChanged != nil
	}
	_, ok := h.(AttributesWatcher)
	return ok
}

// FileWatch watches one file (or directory) for changes, as EM.watch_file:
// inotify on Linux (one inotify instance per reactor, shared by its
// watches), EVFILT_VNODE on the BSDs and macOS (a kqueue of its own per
// watch, holding the file open). Its methods must be called on the reactor
// goroutine.
type FileWatch struct {
	r      *Reactor
	h      FileWatcher
	path   string
	attrib bool // h hears about attribute changes
	ended  bool
	fileWatchOS
}

// fileEvent is one change to a watched file, as the OS files decode it.
type fileEvent uint8

const (
	fileModified fileEvent = 1 << iota
	fileMoved
	fileDeleted
	fileAttrib
	fileGone // the kernel dropped the watch (unmounted)
)

// ErrUnmounted is the Unbind reason of a FileWatch whose file system was
// unmounted.
var ErrUnmounted = errors.New("reactor: watched file's file system was unmounted")

// WatchFile watches the file at path and calls h's methods when it is
// modified, moved, deleted or (with an AttributesWatcher) its attributes
// change, as EM.watch_file. A symbolic link is followed. A path that does
// not exist is an error that wraps fs.ErrNotExist (errors.Is); the
// kernel's other refusals (EACCES; ENOSPC once the inotify watch limit is
// reached) are *fs.PathErrors wrapping their errno. Two watches of one
// file are independent: closing one leaves the other. h must not be nil.
// Must be called on the reactor goroutine.
func (r *Reactor) WatchFile(path string, h FileWatcher) (*FileWatch, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.WatchFile")
	}
	if h == nil {
		return nil, errors.New("reactor: WatchFile needs a FileWatcher")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	w := &FileWatch{r: r, h: h, path: path, attrib: wantsAttributes(h)}
	if err := r.addFileWatch(w); err != nil {
		return nil, fmt.Errorf("reactor: WatchFile: %w", err)
	}
	return w, nil
}

// Path returns the path the watch was opened with (not updated when the
// file moves).
func (w *FileWatch) Path() string { return w.path }

// Close stops watching, as stop_watching: Unbind runs with a nil reason
// before Close returns, and nothing else is called after it. It returns
// ErrClosed if the watch had already ended.
func (w *FileWatch) Close() error {
	if w.r.cfg.loopCheck {
		w.r.checkLoop("FileWatch.Close")
	}
	if w.ended {
		return ErrClosed
	}
	w.end(nil)
	return nil
}

// deliver calls the handler for the changes in ev, in a fixed order
// (attributes, modified, moved, deleted: the order in which one kernel
// report can hold them); a deletion or the kernel's end of the watch ends
// it. A panic in a callback is logged and the watch goes on.
func (w *FileWatch) deliver(ev fileEvent) {
	if ev&fileAttrib != 0 && w.attrib && !w.ended {
		w.r.safeCall(func() { w.h.(AttributesWatcher).AttributesChanged(w) })
	}
	if ev&fileModified != 0 && !w.ended {
		w.r.safeCall(func() { w.h.FileModified(w) })
	}
	if ev&fileMoved != 0 && !w.ended {
		w.r.safeCall(func() { w.h.FileMoved(w) })
	}
	switch {
	case w.ended:
	case ev&fileDeleted != 0:
		w.release()
		w.r.safeCall(func() { w.h.FileDeleted(w) })
		w.r.safeCall(func() { w.h.Unbind(w, nil) })
	case ev&fileGone != 0:
		w.end(ErrUnmounted)
	}
}

// end ends the watch with reason.
func (w *FileWatch) end(reason error) {
	if w.ended {
		return
	}
	w.release()
	w.r.safeCall(func() { w.h.Unbind(w, reason) })
}

// release takes the watch out of the kernel and the reactor.
func (w *FileWatch) release() {
	w.ended = true
	w.r.removeFileWatch(w)
}
