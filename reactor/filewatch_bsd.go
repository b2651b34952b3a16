//go:build darwin || freebsd || netbsd || openbsd

package reactor

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// fileWatchOS is a watch's own kqueue.
type fileWatchOS struct{ n *fileNotifier }

// fileWatchState: nothing is shared between watches on the BSDs.
type fileWatchState struct{}

// fileNotifier is one watch's kqueue in the fd table: EVFILT_VNODE on the
// file, which it holds open. The main poller is readiness only, so it
// watches the private kqueue, readable while it has events pending.
type fileNotifier struct {
	w    *FileWatch
	kq   int
	file int
	born uint64
}

func (*fileNotifier) ownsFd() {}

const vnodeNotes = unix.NOTE_WRITE | unix.NOTE_EXTEND | unix.NOTE_ATTRIB | unix.NOTE_LINK |
	unix.NOTE_RENAME | unix.NOTE_DELETE | unix.NOTE_REVOKE

func (r *Reactor) addFileWatch(w *FileWatch) error {
	file, err := unix.Open(w.path, openEvtOnly|unix.O_NONBLOCK|unix.O_CLOEXEC, 0) // O_NONBLOCK: a FIFO would block the open
	if err != nil {
		return &fs.PathError{Op: "open", Path: w.path, Err: err}
	}
	kq, err := unix.Kqueue()
	if err != nil {
		closeFd(file)
		return os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	var ev [1]unix.Kevent_t
	unix.SetKevent(&ev[0], file, unix.EVFILT_VNODE, unix.EV_ADD|unix.EV_CLEAR)
	ev[0].Fflags = vnodeNotes
	if _, err := unix.Kevent(kq, ev[:], nil, nil); err != nil {
		closeFd(kq)
		closeFd(file)
		return os.NewSyscallError("kevent", err)
	}
	if err := r.poller.Add(kq, true, false); err != nil {
		closeFd(kq)
		closeFd(file)
		return err
	}
	n := &fileNotifier{w: w, kq: kq, file: file, born: r.iter}
	r.fds.set(kq, n)
	w.n = n
	return nil
}

func (r *Reactor) removeFileWatch(w *FileWatch) {
	n := w.n
	if n == nil || n.kq < 0 {
		return
	}
	r.fds.clear(n.kq, n)
	closeFd(n.kq)
	closeFd(n.file)
	n.kq, n.file = -1, -1
}

// ready collects the pending vnode events and delivers them in order.
func (n *fileNotifier) ready() {
	if n.kq < 0 || n.born == n.w.r.iter {
		return
	}
	var evs [8]unix.Kevent_t
	k, err := unix.Kevent(n.kq, nil, evs[:], &unix.Timespec{})
	if err != nil {
		return // EINTR: the kqueue stays readable
	}
	for i := 0; i < k && !n.w.ended; i++ {
		n.w.deliver(vnodeChanges(evs[i].Fflags))
	}
}

// vnodeChanges maps EVFILT_VNODE notes to the changes a FileWatch reports.
// NOTE_DELETE comes with every unlink of the file, even one that leaves
// another link (inotify reports the last one only).
func vnodeChanges(notes uint32) fileEvent {
	var ev fileEvent
	if notes&(unix.NOTE_WRITE|unix.NOTE_EXTEND) != 0 {
		ev |= fileModified
	}
	if notes&(unix.NOTE_ATTRIB|unix.NOTE_LINK) != 0 {
		ev |= fileAttrib
	}
	if notes&unix.NOTE_RENAME != 0 {
		ev |= fileMoved
	}
	if notes&unix.NOTE_DELETE != 0 {
		ev |= fileDeleted
	}
	if notes&unix.NOTE_REVOKE != 0 {
		ev |= fileGone
	}
	return ev
}

// stopAll ends the watch (the reactor stops).
func (n *fileNotifier) stopAll(reason error) { n.w.end(reason) }
