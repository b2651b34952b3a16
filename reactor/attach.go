package reactor

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Attach turns f into a Conn, as EM.attach: f is a connected stream socket
// (TCP, a unix socket, one end of a socketpair), a pipe end or FIFO, or a
// character device (a serial port). h's PostInit runs before Attach
// returns, as for an accepted Conn (there is no ConnectionCompleted).
//
// The reactor works on a duplicate of f's fd (close-on-exec) and closes
// only that one: the caller may close f at once, and should, since the
// duplicate shares f's open file, whose O_NONBLOCK flag Attach sets. A
// pipe's read end makes a Conn that only reads (Write returns ErrClosed,
// as after CloseWrite), a write end one that only writes; a write end
// whose reader has gone closes with EPIPE (Go ignores the SIGPIPE of a
// write to an fd other than 1 and 2), and CloseWrite or CloseAfterWriting
// on it closes it, which is the reader's EOF. Of opts, WithNoDelay, the
// socket options (keepalive, buffers), WithInactivityTimeout and
// WithMaxOutbound apply; WithTLS is refused (whether this side is the TLS
// client or the server is not known): call StartTLS, which makes it the
// server. A listening socket goes to AttachListener, a datagram socket to
// ListenPacket. Must be called on the reactor goroutine.
func (r *Reactor) Attach(f *os.File, h Handler, opts ...ConnOption) (*Conn, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.Attach")
	}
	if f == nil || h == nil {
		return nil, errors.New("reactor: Attach needs a file and a Handler")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	cc := applyConnOptions(opts)
	if cc.tls != nil {
		return nil, errors.New("reactor: Attach does not take WithTLS (the TLS role is unknown): call StartTLS on the Conn")
	}
	fd, err := dupFile(f)
	if err != nil {
		return nil, fmt.Errorf("reactor: attach %s: %w", f.Name(), err)
	}
	c, err := r.attachFd(fd, h, &cc)
	if err != nil {
		return nil, fmt.Errorf("reactor: attach %s: %w", f.Name(), err)
	}
	return c, nil
}

// AttachListener adopts f, a listening stream socket (TCP or unix), as a
// Listener, as EM.attach_server: the socket systemd's socket activation or
// einhorn hands over, or one an old process passes to its successor for a
// restart without refused connections. Connections are accepted and
// handled as with Listen; opts apply to each accepted Conn (WithBacklog
// and WithReusePort do not: the socket is listening already). The reactor
// works on a duplicate of f's fd (close-on-exec), set non-blocking (a flag
// f shares); the caller may close f at once. Listener.Close closes the
// duplicate only, and leaves a unix socket's file in place (it belongs to
// whoever bound it). A socket that is not listening (SO_ACCEPTCONN off) is
// refused. Must be called on the reactor goroutine.
func (r *Reactor) AttachListener(f *os.File, newHandler func(*Conn) Handler, opts ...ConnOption) (*Listener, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.AttachListener")
	}
	if f == nil || newHandler == nil {
		return nil, errors.New("reactor: AttachListener needs a file and a newHandler function")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	fd, err := dupFile(f)
	if err == nil {
		err = checkListening(fd)
		if err == nil {
			err = setupAttached(fd, fdKind{})
		}
		if err == nil {
			err = r.poller.Add(fd, true, false)
		}
		if err != nil {
			closeFd(fd)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reactor: attach listener %s: %w", f.Name(), err)
	}
	l := &Listener{r: r, fd: fd, newHandler: newHandler, cc: applyConnOptions(opts), addr: sockname(fd, false)}
	r.fds.set(fd, l)
	return l, nil
}

// checkListening accepts a listening stream socket.
func checkListening(fd int) error {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if errors.Is(err, unix.ENOTSOCK) {
		return errors.New("not a socket")
	}
	if err != nil {
		return syscallErr("getsockopt SO_TYPE", err)
	}
	if typ != unix.SOCK_STREAM {
		return errors.New("not a stream socket (a datagram socket goes to ListenPacket)")
	}
	if !listening(fd) {
		return errors.New("not a listening socket (SO_ACCEPTCONN is off): a connected one goes to Attach")
	}
	return nil
}

// attachFd makes a Conn of fd, which the reactor owns from now on (the
// caller must not use or close it; on error attachFd has closed it): a
// connected stream socket, a pipe end, a FIFO or a character device,
// blocking or not. It sets O_NONBLOCK, applies cc (socket options only on
// a socket), registers the Conn and runs h.PostInit. A read-only fd (a
// pipe's read end) makes a Conn whose writes fail with ErrClosed, a
// write-only one a Conn that never reads; the Conn's read and write paths
// are read(2) and write(2) either way, and Unbind runs once, with io.EOF
// when the peer (the pipe's other end) closed. It is the common ground of
// Attach and of the other Conns the reactor makes over fds it did not
// accept or connect (a child process's pipes). Loop only.
func (r *Reactor) attachFd(fd int, h Handler, cc *connConfig) (*Conn, error) {
	k, err := inspectFd(fd)
	if err == nil {
		err = setupAttached(fd, k)
	}
	if err == nil && k.socket {
		if cc.noDelay {
			unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) // fails harmlessly on unix sockets
		}
		err = cc.sock.accepted(fd)
	}
	if err != nil {
		closeFd(fd)
		return nil, err
	}
	var flags connFlags
	if !k.socket {
		flags |= fNotSocket
	}
	if !k.canRead {
		flags |= fReadClosed // never reads; a hang-up closes it
	}
	if !k.canWrite {
		flags |= fWriteShut // Write returns ErrClosed
	}
	return r.newFdConn(fd, h, cc, flags, nil)
}

// newFdConn makes a Conn of fd, ready for reading and writing (or as flags
// says), registers it (closing fd if that fails), runs setup and then the
// handler's PostInit. It is the common end of Attach and Popen.
func (r *Reactor) newFdConn(fd int, h Handler, cc *connConfig, flags connFlags, setup func(*Conn)) (*Conn, error) {
	c := &Conn{r: r, fd: fd, h: h, lastActive: r.nowNs, st: plainStage{}, maxOut: cc.maxOutbound, flags: flags}
	if err := r.register(c); err != nil {
		closeFd(fd)
		return nil, err
	}
	r.nconns++
	if setup != nil {
		setup(c)
	}
	if cc.inactivity > 0 {
		c.SetInactivityTimeout(cc.inactivity)
	}
	r.callConn(c, h.PostInit)
	return c, nil
}

// fdKind is what inspectFd found out about an fd.
type fdKind struct {
	socket            bool
	canRead, canWrite bool
}

// inspectFd checks that fd can be a Conn and finds out how: a connected
// stream socket, or a pipe, FIFO or character device open for reading,
// writing or both.
func inspectFd(fd int) (fdKind, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fdKind{}, syscallErr("fstat", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFSOCK:
		return fdKind{socket: true, canRead: true, canWrite: true}, checkStreamSocket(fd)
	case unix.S_IFIFO, unix.S_IFCHR:
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return fdKind{}, syscallErr("fcntl F_GETFL", err)
		}
		mode := fl & unix.O_ACCMODE
		return fdKind{canRead: mode != unix.O_WRONLY, canWrite: mode != unix.O_RDONLY}, nil
	case unix.S_IFREG:
		return fdKind{}, errors.New("a regular file cannot be polled (it is always ready): read it directly, or SendFile it")
	}
	return fdKind{}, errors.New("not a socket, pipe or character device")
}

// checkStreamSocket accepts a connected stream socket and explains what
// else to use for the other kinds.
func checkStreamSocket(fd int) error {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return syscallErr("getsockopt SO_TYPE", err)
	}
	if typ != unix.SOCK_STREAM {
		return errors.New("not a stream socket (a datagram socket goes to ListenPacket)")
	}
	if listening(fd) {
		return errors.New("a listening socket: use AttachListener")
	}
	if _, err := unix.Getpeername(fd); errors.Is(err, unix.ENOTCONN) {
		return errors.New("the socket is not connected")
	}
	return nil
}

// listening reports whether fd is a listening socket (SO_ACCEPTCONN).
func listening(fd int) bool {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return err == nil && v != 0
}

// dupFile duplicates f's fd (close-on-exec) without f.Fd, which would put
// f in blocking mode.
func dupFile(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = dupFd(int(s)) }); err != nil {
		return -1, err
	}
	return fd, derr
}

// setupAttached makes an attached fd non-blocking and, on a socket of the
// BSDs, asks for EPIPE instead of SIGPIPE (noSigpipe).
func setupAttached(fd int, k fdKind) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		return syscallErr("fcntl O_NONBLOCK", err)
	}
	if k.socket {
		return noSigpipe(fd)
	}
	return nil
}
