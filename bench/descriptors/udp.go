//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
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
	md.WriteString("| server | datagrams/s | server CPU µs/datagram | server core busy | load generator core busy | windows resent | datagrams dropped | errors |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
	names := map[string]string{"udp-evm": "evmachine `ListenPacket` (ReceivePacket → WriteTo)", "udp-net": "Go `net.ListenUDP`, one goroutine"}
	for _, m := range modes {
		rate, rd := median(res[m], func(r run) float64 { return r.rate })
		cpu, cd := median(res[m], func(r run) float64 { return r.cpuPer })
		util, _ := median(res[m], func(r run) float64 { return r.util })
		lg, _ := median(res[m], func(r run) float64 { return r.loadgen })
		lost, _ := median(res[m], func(r run) float64 { return float64(r.stalls) })
		drops, _ := median(res[m], func(r run) float64 { return float64(r.drops) })
		fmt.Fprintf(md, "| %s | %.0f ± %.0f | %.2f ± %.2f | %.0f %% | %.0f %% | %.0f | %.0f | %d |\n", names[m], rate, rd, cpu, cd, 100*util, 100*lg, lost, drops, errCount(res[m]))
	}
	e, _ := median(res["udp-evm"], func(r run) float64 { return r.rate })
	g, _ := median(res["udp-net"], func(r run) float64 { return r.rate })
	ec, _ := median(res["udp-evm"], func(r run) float64 { return r.cpuPer })
	gc, _ := median(res["udp-net"], func(r run) float64 { return r.cpuPer })
	rlo, rhi := ratios(res["udp-evm"], res["udp-net"], func(r run) float64 { return r.rate })
	clo, chi := ratios(res["udp-evm"], res["udp-net"], func(r run) float64 { return r.cpuPer })
	fmt.Fprintf(md, "\nevmachine / Go: %.2f× the datagrams/s (target: at least 1.2×; rounds %.2f–%.2f×) at %.2f× the CPU per datagram (target: at most 1×; rounds %.2f–%.2f×).\n\n", e/g, rlo, rhi, ec/gc, clo, chi)
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
const stallCheck = 20 * time.Millisecond

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
	payloads [][]byte // per socket; the first 8 bytes are its generation
	gen      []uint64 // bumped when a window is sent again: older replies are ignored
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
	l := &udpLoad{window: window}
	for i := range batch {
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
		p := make([]byte, 64)
		for i := range p {
			p[i] = byte('a' + i%26)
		}
		l.payloads = append(l.payloads, p)
	}
	l.gen = make([]uint64, sockets)
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
	p := l.payloads[i]
	binary.LittleEndian.PutUint64(p, l.gen[i])
	for j := range min(k, batch) {
		l.outIov[j] = unix.Iovec{Base: &p[0]}
		l.outIov[j].SetLen(len(p))
	}
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
		cur := 0
		for j := range int(m) {
			if l.in[j].len != 64 || l.inBufs[j][63] != l.payloads[i][63] {
				l.errs++
				continue
			}
			if binary.LittleEndian.Uint64(l.inBufs[j][:8]) == l.gen[i] {
				cur++
			}
		}
		l.replies += uint64(cur)
		l.got[i] += uint64(cur)
		l.inflight[i] = max(l.inflight[i]-cur, 0)
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
					l.gen[i]++ // what is still in flight no longer counts
					l.inflight[i] = 0
					l.send(i, l.window)
				}
				last[i] = l.got[i]
			}
			nextCheck = now.Add(stallCheck)
		}
	}
}

// rcvbufErrors is the machine's count of UDP datagrams dropped for a full
// receive buffer (Udp RcvbufErrors in /proc/net/snmp; every process's).
func rcvbufErrors() uint64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseUint(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
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
	var rep0, drop0 uint64
	var cpu0, self0 time.Duration
	var t0 time.Time
	err = l.loop(mark, end, func() {
		rep0, t0 = l.replies, time.Now()
		drop0 = rcvbufErrors()
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
	drops := rcvbufErrors() - drop0
	n := float64(l.replies - rep0)
	r := run{rate: n / el.Seconds(), util: (cpu1 - cpu0).Seconds() / el.Seconds(), loadgen: (self1 - self0).Seconds() / el.Seconds(), errs: l.errs, stalls: l.stalls, drops: int(drops)}
	if n > 0 {
		r.cpuPer = float64((cpu1 - cpu0).Microseconds()) / n
	}
	return r, nil
}
