package reactor

// fdOwner is what the fd table holds for a registered fd: a *Conn, a
// *Listener, a *lingerFd (a socket closed after writing that still
// swallows its peer's input), a *ProcessWatch (a pidfd, or a kqueue of
// its own on the BSDs) or a *fileNotifier (the reactor's inotify fd, or a
// FileWatch's own kqueue). dispatch switches on the type, one case a
// kind: adding a kind (a packet socket, a watch, an inotify or pidfd) is a
// type in a file of its own, with this method, and one case there.
type fdOwner interface{ ownsFd() }

func (*Conn) ownsFd()     {}
func (*Listener) ownsFd() {}
func (*lingerFd) ownsFd() {}

// (*dialAttempt is one too: dial.go; *Watch: watch.go; *ProcessWatch:
// procwatch.go; *fileNotifier: filewatch_linux.go, filewatch_bsd.go.)

// fdTable finds the owner of an fd; it is indexed by fd (the kernel hands
// out the lowest free numbers, so it stays dense) and grows as needed.
type fdTable struct {
	owners []fdOwner
}

// get returns fd's owner, or nil.
func (t *fdTable) get(fd int) fdOwner {
	if uint(fd) < uint(len(t.owners)) {
		return t.owners[fd]
	}
	return nil
}

// set makes o the owner of fd.
func (t *fdTable) set(fd int, o fdOwner) {
	for fd >= len(t.owners) {
		t.owners = append(t.owners, make([]fdOwner, max(len(t.owners), 64))...)
	}
	t.owners[fd] = o
}

// clear removes o as fd's owner, if it is.
func (t *fdTable) clear(fd int, o fdOwner) {
	if t.get(fd) == o {
		t.owners[fd] = nil
	}
}

// each calls fn for every owner, in fd order. fn may clear entries.
func (t *fdTable) each(fn func(fdOwner)) {
	for _, o := range t.owners {
		if o != nil {
			fn(o)
		}
	}
}
