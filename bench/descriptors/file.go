//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// driveFile measures SendFile against io.Copy.
func driveFile(md *strings.Builder, cfg config) error {
	dir, err := os.MkdirTemp("", "evm-sendfile")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data")
	if err := writeData(path, cfg.fileBytes); err != nil {
		return err
	}
	modes := []string{"file-evm", "file-net"}
	res, err := rounds(cfg.rounds, modes, func(mode string) (run, error) { return fileRun(mode, path, cfg.fileBytes) })
	if err != nil {
		return err
	}
	fmt.Fprintf(md, "### SendFile: a %d MiB file (in the page cache) sent %d times, one connection at a time, to a client that discards it with splice(2)\n\n", cfg.fileBytes>>20, transfers)
	md.WriteString("| server | MB/s | server CPU ms/GB | server core busy | errors |\n|---|--:|--:|--:|--:|\n")
	names := map[string]string{"file-evm": "evmachine `Conn.SendFile`", "file-net": "Go `io.Copy(*net.TCPConn, *os.File)`"}
	for _, m := range modes {
		rate, rd := median(res[m], func(r run) float64 { return r.rate })
		cpu, cd := median(res[m], func(r run) float64 { return r.cpuPer })
		util, _ := median(res[m], func(r run) float64 { return r.util })
		fmt.Fprintf(md, "| %s | %.0f ± %.0f | %.1f ± %.1f | %.0f %% | %d |\n", names[m], rate, rd, cpu, cd, 100*util, errCount(res[m]))
	}
	e, _ := median(res["file-evm"], func(r run) float64 { return r.rate })
	g, _ := median(res["file-net"], func(r run) float64 { return r.rate })
	lo, hi := ratios(res["file-evm"], res["file-net"], func(r run) float64 { return r.rate })
	fmt.Fprintf(md, "\nevmachine / Go: %.2f× the MB/s (target: at least 0.9×; rounds %.2f–%.2f×).\n\n", e/g, lo, hi)
	return nil
}

// writeData writes n bytes of a pattern to path and reads it once, so the
// runs read it from the page cache.
func writeData(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i*7 + i/251)
	}
	for left := n; left > 0; {
		k := min(left, int64(len(buf)))
		if _, err := f.Write(buf[:k]); err != nil {
			return err
		}
		left -= k
	}
	return nil
}

// transfers is how many times a run downloads the file, one connection
// after the other.
const transfers = 4

// fileRun downloads the file transfers times from a fresh server.
func fileRun(mode, path string, size int64) (run, error) {
	s, err := startServer(mode, path)
	if err != nil {
		return run{}, err
	}
	defer s.stop()
	pinClient()
	defer runtime.UnlockOSThread()
	self0, _ := procCPU(os.Getpid())
	cpu0, err := s.cpu()
	if err != nil {
		return run{}, err
	}
	start := time.Now()
	var n int64
	for range transfers {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			return run{}, err
		}
		m, err := discard(c.(*net.TCPConn))
		c.Close()
		if err != nil || m != size {
			return run{}, fmt.Errorf("got %d of %d bytes: %v", m, size, err)
		}
		n += m
	}
	el := time.Since(start)
	cpu1, _ := s.cpu()
	self1, _ := procCPU(os.Getpid())
	r := run{rate: float64(n) / el.Seconds() / 1e6, util: (cpu1 - cpu0).Seconds() / el.Seconds(), loadgen: (self1 - self0).Seconds() / el.Seconds()}
	r.cpuPer = float64((cpu1 - cpu0).Milliseconds()) / (float64(n) / 1e9)
	return r, nil
}

// discard reads c to its end without copying: splice(2) into a pipe and
// from the pipe into /dev/null, so that the client costs little and the
// server's sending is what is measured.
func discard(c *net.TCPConn) (int64, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, err
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, 1<<20)
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var total int64
	var serr error
	eof := false
	for !eof && serr == nil {
		err := rc.Read(func(fd uintptr) bool {
			n, err := unix.Splice(int(fd), nil, p[1], nil, 1<<20, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			switch {
			case err == unix.EAGAIN:
				return false
			case err != nil:
				serr = err
			case n == 0:
				eof = true
			}
			for left := n; left > 0; {
				m, err := unix.Splice(p[0], nil, int(null.Fd()), nil, int(left), unix.SPLICE_F_MOVE)
				if err != nil {
					serr = err
					break
				}
				left -= m
			}
			total += n
			return true
		})
		if err != nil {
			return total, err
		}
	}
	return total, serr
}
