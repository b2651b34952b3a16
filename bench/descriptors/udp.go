//go:build linux

package main

import (
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// driveUDP measures the datagram echo servers.
func driveUDP(md *strings.Builder, cfg config) error {
	modes := []string{"udp-evm", "udp-net"}
	res, err := rounds(cfg.rounds, modes, func(mode string) (run, error) { return udpRun(mode, cfg) })
	if err != nil {
		return err
	}
	fmt.Fprintf(md, "### UDP echo: 64-byte datagrams, %d client sockets × %d in flight, %v windows\n\n", cfg.sockets, cfg.window, cfg.dur)
	md.WriteString("| server | datagrams/s | server CPU µs/datagram | server core busy | load generator core busy | errors |\n|---|--:|--:|--:|--:|--:|\n")
	names := map[string]string{"udp-evm": "evmachine `ListenPacket` (ReceivePacket → WriteTo)", "udp-net": "Go `net.ListenUDP`, one goroutine"}
	for _, m := range modes {
		rate, rd := median(res[m], func(r run) float64 { return r.rate })
		cpu, cd := median(res[m], func(r run) float64 { return r.cpuPer })
		util, _ := median(res[m], func(r run) float64 { return r.util })
		lg, _ := median(res[m], func(r run) float64 { return r.loadgen })
		fmt.Fprintf(md, "| %s | %.0f ± %.0f | %.2f ± %.2f | %.0f %% | %.0f %% | %d |\n", names[m], rate, rd, cpu, cd, 100*util, 100*lg, errCount(res[m]))
	}
	e, _ := median(res["udp-evm"], func(r run) float64 { return r.rate })
	g, _ := median(res["udp-net"], func(r run) float64 { return r.rate })
	ec, _ := median(res["udp-evm"], func(r run) float64 { return r.cpuPer })
	gc, _ := median(res["udp-net"], func(r run) float64 { return r.cpuPer })
	fmt.Fprintf(md, "\nevmachine / Go: %.2f× the datagrams/s (target: at least 1.2×) at %.2f× the CPU per datagram (target: at most 1×).\n\n", e/g, ec/gc)
	return nil
}

// mmsghdr is struct mmsghdr (x/sys has no sendmmsg/recvmmsg wrapper).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

const batch = 64

// stallCheck is how long a client socket may go without a reply before
// its window counts as lost (dropped by a full receive buffer) and is
// sent again.
const stallCheck = 5 * time.Millisecond

// udpLoad is the load generator: connected sockets, each with a window of
// 64-byte datagrams in flight, driven by one goroutine with epoll,
// sendmmsg and recvmmsg.
type udpLoad struct {
	fds      []int
	inflight []int
	got      []uint64
	window   int
	out, in  [batch]mmsghdr
	outIov   [batch]unix.Iovec
	inIov    [batch]unix.Iovec
	payload  []byte
	inBufs   [batch][128]byte
	replies  uint64
	stalls   int
	errs     int
}

func newUDPLoad(addr string, sockets, window int) (*udpLoad, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	l := &udpLoad{window: window, payload: make([]byte, 64)}
	for i := range l.payload {
		l.payload[i] = byte('a' + i%26)
	}
	for i := range batch {
		l.outIov[i] = unix.Iovec{Base: &l.payload[0]}
		l.outIov[i].SetLen(len(l.payload))
		l.out[i].hdr.Iov = &l.outIov[i]
		l.out[i].hdr.SetIovlen(1)
		l.inIov[i] = unix.Iovec{Base: &l.inBufs[i][0]}
		l.inIov[i].SetLen(len(l.inBufs[i]))
		l.in[i].hdr.Iov = &l.inIov[i]
		l.in[i].hdr.SetIovlen(1)
	}
	for range sockets {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
		if err := unix.Connect(fd, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}); err != nil {
			return nil, err
		}
		l.fds = append(l.fds, fd)
	}
	l.inflight = make([]int, sockets)
	l.got = make([]uint64, sockets)
	return l, nil
}

func (l *udpLoad) close() {
	for _, fd := range l.fds {
		unix.Close(fd)
	}
}

// send sends k datagrams on socket i.
func (l *udpLoad) send(i, k int) {
	for k > 0 {
		n := min(k, batch)
		m, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(l.fds[i]), uintptr(unsafe.Pointer(&l.out[0])), uintptr(n), unix.MSG_DONTWAIT, 0, 0)
		if e != 0 || m == 0 {
			return
		}
		l.inflight[i] += int(m)
		k -= int(m)
	}
}

// receive reads what socket i has and answers each reply with a new
// datagram.
func (l *udpLoad) receive(i int) {
	for {
		m, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(l.fds[i]), uintptr(unsafe.Pointer(&l.in[0])), batch, unix.MSG_DONTWAIT, 0, 0)
		if e != 0 || m == 0 {
			return
		}
		for j := range int(m) {
			if l.in[j].len != uint32(len(l.payload)) || l.inBufs[j][63] != l.payload[63] {
				l.errs++
			}
		}
		l.replies += uint64(m)
		l.got[i] += uint64(m)
		l.inflight[i] = max(l.inflight[i]-int(m), 0)
		l.send(i, l.window-l.inflight[i])
		if int(m) < batch {
			return
		}
	}
}

// loop drives the load until end; at mark it calls atMark once.
func (l *udpLoad) loop(mark, end time.Time, atMark func()) error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(ep)
	idx := map[int32]int{}
	for i, fd := range l.fds {
		idx[int32(fd)] = i
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			return err
		}
		l.send(i, l.window)
	}
	events := make([]unix.EpollEvent, len(l.fds))
	last := make([]uint64, len(l.fds))
	nextCheck := time.Now().Add(stallCheck)
	marked := false
	for {
		n, err := unix.EpollWait(ep, events, 1)
		if err != nil && err != unix.EINTR {
			return err
		}
		for _, ev := range events[:max(n, 0)] {
			l.receive(idx[ev.Fd])
		}
		now := time.Now()
		if !marked && now.After(mark) {
			marked = true
			atMark()
		}
		if now.After(end) {
			return nil
		}
		if now.After(nextCheck) { // a window lost to drops: send it again
			for i := range l.fds {
				if l.got[i] == last[i] {
					l.stalls++
					l.inflight[i] = 0
					l.send(i, l.window)
				}
				last[i] = l.got[i]
			}
			nextCheck = now.Add(stallCheck)
		}
	}
}

// udpRun measures one UDP server.
func udpRun(mode string, cfg config) (run, error) {
	s, err := startServer(mode, "")
	if err != nil {
		return run{}, err
	}
	defer s.stop()
	l, err := newUDPLoad(s.addr, cfg.sockets, cfg.window)
	if err != nil {
		return run{}, err
	}
	defer l.close()
	pinClient()
	defer runtime.UnlockOSThread()
	start := time.Now()
	mark, end := start.Add(cfg.warm), start.Add(cfg.warm+cfg.dur)
	var rep0 uint64
	var cpu0, self0 time.Duration
	var t0 time.Time
	err = l.loop(mark, end, func() {
		rep0, t0 = l.replies, time.Now()
		cpu0, _ = s.cpu()
		self0, _ = procCPU(os.Getpid())
	})
	if err != nil {
		return run{}, err
	}
	el := time.Since(t0)
	cpu1, err := s.cpu()
	if err != nil {
		return run{}, err
	}
	self1, _ := procCPU(os.Getpid())
	n := float64(l.replies - rep0)
	r := run{rate: n / el.Seconds(), util: (cpu1 - cpu0).Seconds() / el.Seconds(), loadgen: (self1 - self0).Seconds() / el.Seconds(), errs: l.errs}
	if n > 0 {
		r.cpuPer = float64((cpu1 - cpu0).Microseconds()) / n
	}
	return r, nil
}
