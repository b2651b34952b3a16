//go:build linux

package reactor

import (
	"io/fs"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// fileWatchOS is a watch's handle in the reactor's inotify instance.
type fileWatchOS struct{ wd int32 }

// fileWatchState is the reactor's side of WatchFile: its inotify
// instance, made at the first watch (the kernel allows a user only 128
// instances by default, and a watch costs little inside one).
type fileWatchState struct{ n *fileNotifier }

// fileNotifier is the reactor's inotify fd in the fd table; the kernel's
// watch descriptors lead to the watches. Two watches of one file share a
// descriptor (the kernel hands out one per inode).
type fileNotifier struct {
	r       *Reactor
	fd      int
	born    uint64
	watches map[int32][]*FileWatch
	events  []inotifyEvent // decoded records of one read, reused
}

func (*fileNotifier) ownsFd() {}

// notifier returns the reactor's inotify instance, made on first use.
func (r *Reactor) notifier() (*fileNotifier, error) {
	if r.files.n != nil {
		return r.files.n, nil
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	if err := r.poller.Add(fd, true, false); err != nil {
		closeFd(fd)
		return nil, err
	}
	n := &fileNotifier{r: r, fd: fd, born: r.iter, watches: make(map[int32][]*FileWatch)}
	r.fds.set(fd, n)
	r.files.n = n
	return n, nil
}

func (r *Reactor) addFileWatch(w *FileWatch) error {
	n, err := r.notifier()
	if err != nil {
		return err
	}
	wd, err := unix.InotifyAddWatch(n.fd, w.path, inotifyMask)
	if err != nil {
		return &fs.PathError{Op: "inotify_add_watch", Path: w.path, Err: err}
	}
	w.wd = int32(wd)
	n.watches[w.wd] = append(n.watches[w.wd], w)
	return nil
}

// removeFileWatch takes w out of its descriptor's list (a new list: a
// dispatch may be ranging over the old one), and the descriptor out of
// the kernel with the last watch (EINVAL when the kernel dropped it
// already, after a deletion: ignored).
func (r *Reactor) removeFileWatch(w *FileWatch) {
	n := r.files.n
	if n == nil {
		return
	}
	ws := slices.DeleteFunc(slices.Clone(n.watches[w.wd]), func(x *FileWatch) bool { return x == w })
	if len(ws) > 0 {
		n.watches[w.wd] = ws
		return
	}
	delete(n.watches, w.wd)
	unix.InotifyRmWatch(n.fd, uint32(w.wd))
}

// ready reads the pending records, a bounded number of reads per
// readiness, and delivers them in order.
func (n *fileNotifier) ready() {
	if n.fd < 0 || n.born == n.r.iter {
		return
	}
	buf := n.r.readBuf
	for range readBudget {
		k, err := readFd(n.fd, buf)
		switch {
		case err == errAgain || err == nil && k == 0:
			return
		case err == errIntr:
			continue
		case err != nil:
			n.r.log.Error("reactor: reading inotify events", "err", syscallErr("read", err))
			return
		}
		n.events, err = parseInotify(buf[:k], n.events[:0])
		if err != nil {
			n.r.log.Error("reactor: decoding inotify events", "err", err)
		}
		for _, ev := range n.events {
			n.dispatch(ev)
		}
	}
}

// dispatch delivers one record to the watches of its descriptor. After a
// queue overflow (events were lost), every watch hears that its file was
// modified: the one report that makes a tailer look again.
func (n *fileNotifier) dispatch(ev inotifyEvent) {
	if ev.mask&unix.IN_Q_OVERFLOW != 0 {
		n.r.log.Warn("reactor: inotify queue overflowed; file events were lost", "watches", len(n.watches))
		for _, ws := range n.watches {
			for _, w := range ws {
				w.deliver(fileModified)
			}
		}
		return
	}
	changes := inotifyChanges(ev.mask)
	for _, w := range n.watches[ev.wd] {
		w.deliver(changes)
	}
}

// stopAll ends every watch with reason and closes the instance (the
// reactor stops).
func (n *fileNotifier) stopAll(reason error) {
	for _, ws := range n.watches {
		for _, w := range ws {
			w.end(reason)
		}
	}
	n.r.fds.clear(n.fd, n)
	closeFd(n.fd)
	n.fd = -1
	n.r.files.n = nil
}
