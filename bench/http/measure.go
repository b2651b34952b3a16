package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
	"github.com/evmachine/evmachine/bench/internal/procfs"
)

// sample is one wrk window against one server.
type sample struct {
	Server      string  `json:"server"`
	Conns       int     `json:"conns"`
	Round       int     `json:"round"`
	ReqPerSec   float64 `json:"req_per_s"`
	Requests    int64   `json:"requests"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	ServerCPU   float64 `json:"server_cpu_s"` // over the window, all threads
	WallSeconds float64 `json:"wall_s"`       // the window as the runner timed it
	CPUPerReqUs float64 `json:"server_cpu_us_per_req"`
	ServerShare float64 `json:"server_cpu_share"` // of one core
	PeakRSSMiB  float64 `json:"peak_rss_mib"`     // VmHWM at the end
	WrkCPUShare float64 `json:"wrk_cpu_share"`    // wrk's CPU over its life, of one core
	OtherCPU    float64 `json:"other_cpu_cores"`  // every other process, in cores
	Errors      int64   `json:"errors"`           // socket errors + non-2xx
	ErrorLine   string  `json:"error_line,omitempty"`
	Err         string  `json:"error,omitempty"` // the run could not be done
}

// measurer runs one server against wrk.
type measurer struct {
	wrk, taskset      string
	serverCPU, wrkCPU int
	threads           int
	duration, warmup  time.Duration
	log               *slog.Logger
}

// measure starts a fresh server (extra: more arguments), runs wrk's
// warm-up and then its measured window against it, and stops it by PID.
func (m *measurer) measure(ctx context.Context, s server, bin string, conns int, extra []string) sample {
	smp := sample{Server: s.Name, Conns: conns}
	addr, err := childproc.FreeAddr()
	if err != nil {
		smp.Err = err.Error()
		return smp
	}
	argv := append([]string{m.taskset, "-c", strconv.Itoa(m.serverCPU), bin, "-addr", addr}, extra...)
	srv, err := startProc(argv, []string{"GOMAXPROCS=1"})
	if err != nil {
		smp.Err = err.Error()
		return smp
	}
	defer srv.Stop(5 * time.Second)
	if err := srv.WaitListening(ctx, addr, 20*time.Second); err != nil {
		smp.Err = err.Error()
		return smp
	}
	url := "http://" + addr + "/"
	if m.warmup > 0 {
		if _, _, err := m.runWrk(ctx, min(conns, 100), m.warmup, url); err != nil {
			smp.Err = "warm-up: " + err.Error()
			return smp
		}
	}
	before, err := procfs.ReadStat(srv.Pid())
	if err != nil {
		smp.Err = err.Error()
		return smp
	}
	sys0, _ := procfs.ReadSystemCPU()
	t0 := time.Now()
	out, wrkCPU, err := m.runWrk(ctx, conns, m.duration, url)
	wall := time.Since(t0)
	after, serr := procfs.ReadStat(srv.Pid())
	sys1, _ := procfs.ReadSystemCPU()
	if err != nil {
		smp.Err = err.Error()
		return smp
	}
	if serr != nil {
		smp.Err = fmt.Sprintf("the server is gone after the window: %v: %s", serr, srv.Output())
		return smp
	}
	w, err := parseWrk(out)
	if err != nil {
		smp.Err = fmt.Sprintf("%v: %s", err, out)
		return smp
	}
	cpu := (after.CPU() - before.CPU()).Seconds()
	smp.ReqPerSec, smp.Requests = w.ReqPerSec, w.Requests
	smp.P50ms, smp.P99ms = w.P50.Seconds()*1e3, w.P99.Seconds()*1e3
	smp.ServerCPU, smp.WallSeconds = cpu, wall.Seconds()
	smp.ServerShare = cpu / wall.Seconds()
	if w.Requests > 0 {
		smp.CPUPerReqUs = cpu / float64(w.Requests) * 1e6
	}
	smp.WrkCPUShare = wrkCPU.Seconds() / wall.Seconds()
	if busy := (sys1.Busy - sys0.Busy).Seconds(); busy > 0 {
		smp.OtherCPU = max(0, (busy-cpu-wrkCPU.Seconds())/wall.Seconds())
	}
	smp.Errors, smp.ErrorLine = w.SocketErrors+w.Non2xx, w.ErrorLine
	if w.Non2xx > 0 {
		smp.ErrorLine = strings.TrimSpace(smp.ErrorLine + fmt.Sprintf(" non-2xx %d", w.Non2xx))
	}
	smp.PeakRSSMiB = float64(peakRSS(srv.Pid())) / (1 << 20)
	if srv.Exited() {
		smp.Err = fmt.Sprintf("the server exited during the run: %s", srv.Output())
	}
	return smp
}

// runWrk runs wrk pinned to its CPU and returns its output and CPU time.
func (m *measurer) runWrk(ctx context.Context, conns int, d time.Duration, url string) (string, time.Duration, error) {
	argv := []string{m.taskset, "-c", strconv.Itoa(m.wrkCPU), m.wrk, "-t" + strconv.Itoa(m.threads), "-c" + strconv.Itoa(conns),
		"-d" + strconv.Itoa(int(d.Seconds())) + "s", "--timeout", "10s", "--latency", url}
	// wrk stops itself after d; the context is a bound on a stuck one.
	wctx, cancel := context.WithTimeout(ctx, d+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(wctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = childproc.ChildAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return out.String(), cpu, fmt.Errorf("wrk: %w: %s", err, lastLines(out.String(), 5))
	}
	return out.String(), cpu, nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}

// peakRSS reads VmHWM from /proc/PID/status, in bytes (0 when unknown).
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// proc is a server the driver started; it is stopped by its PID.
type proc = childproc.Proc

func startProc(argv, env []string) (*proc, error) {
	return childproc.Start(filepath.Base(argv[0]), argv, env, 8<<10, nil)
}

// buildServers builds each server once into binDir (without -race).
func buildServers(ctx context.Context, root, binDir string, srvs []server) (map[string]string, error) {
	bins := map[string]string{}
	for _, s := range srvs {
		out := filepath.Join(binDir, s.Name)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, s.Pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", s.Pkg, err, b)
		}
		bins[s.Name] = out
	}
	return bins, nil
}

// pprofTop returns `go tool pprof -top` of a CPU profile: the flat top 25
// and the cumulative top 25.
func pprofTop(ctx context.Context, bin, prof string) (string, error) {
	var parts []string
	for _, args := range [][]string{{"-top", "-nodecount=25"}, {"-top", "-cum", "-nodecount=25"}} {
		cmd := exec.CommandContext(ctx, "go", append(append([]string{"tool", "pprof"}, args...), bin, prof)...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			return strings.Join(parts, "\n"), fmt.Errorf("go tool pprof: %w: %s", err, b)
		}
		parts = append(parts, strings.TrimSpace(string(b)))
	}
	return strings.Join(parts, "\n\n"), nil
}

func findWrk() (string, error) {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return "", fmt.Errorf("wrk is not installed (apt-get install -y wrk): %w", err)
	}
	return p, nil
}

func wrkVersion(wrk string) string {
	b, _ := exec.Command(wrk, "-v").CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

func tasksetPath() (string, error) {
	if runtime.NumCPU() < 2 {
		return "", fmt.Errorf("one CPU: the server and wrk cannot have one each")
	}
	p, err := exec.LookPath("taskset")
	if err != nil {
		return "", fmt.Errorf("taskset is not installed: %w", err)
	}
	return p, nil
}

// machine describes where the figures were measured.
type machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
	NoFile uint64 `json:"nofile"`
}

func describeMachine(nofile uint64) machine {
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return machine{CPU: cpu, Cores: runtime.NumCPU(), Kernel: strings.TrimSpace(string(kernel)), Go: runtime.Version(), NoFile: nofile}
}

// revision names the commit measured, "+ local changes" when the tree
// differs from it (the report files aside).
func revision(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	dirty, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", ".", ":!bench/http/RESULTS.md", ":!bench/http/results.json",
		":!bench/RESULTS.md", ":!bench/results.svg", ":!bench/results.json", ":!bench/results-tls.json", ":!bench/results-group.json").Output()
	if err == nil && len(strings.TrimSpace(string(dirty))) > 0 {
		rev += " + local changes"
	}
	return rev
}
