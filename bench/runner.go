package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
	"github.com/evmachine/evmachine/bench/internal/loadgen"
)

// Runner runs the selected scenarios against the selected servers.
type Runner struct {
	Root      string // module root
	BinDir    string // where the Go servers are built
	Self      string // this program's executable, re-run as the load generator
	Taskset   string // "" when not pinning
	Scenarios []Scenario
	Servers   []Server
	Runs      int
	Parallel  int // connections in their connect phase at once
	Log       *slog.Logger
	Progress  *progress
	cert      benchCert // the TLS servers' certificate, made in BinDir
}

// Run builds the servers, runs every scenario Runs times against every
// available server of its kind (plain scenarios against plain servers, TLS
// scenarios against TLS servers), interleaving servers within a run so
// that a noisy minute hurts them alike, and returns the records. Failed
// runs are recorded, not fatal; only a cancelled ctx or a failed build
// stops it.
func (rn *Runner) Run(ctx context.Context, res *Results) error {
	infos := make([]ServerInfo, len(rn.Servers))
	var avail []Server
	for i, s := range rn.Servers {
		if !slices.ContainsFunc(rn.Scenarios, func(sc Scenario) bool { return runs(sc, s) }) {
			infos[i] = ServerInfo{Server: s, Skipped: fmt.Sprintf("%v: no selected scenario is for it", errSkipped)}
			continue
		}
		v, err := serverVersion(ctx, s)
		infos[i] = ServerInfo{Server: s, Version: v}
		if err != nil {
			infos[i].Skipped = err.Error()
			rn.Log.Warn("server skipped", "server", s.Name, "why", err)
			continue
		}
		avail = append(avail, s)
	}
	res.Servers, res.Scenarios, res.Runs = infos, rn.Scenarios, rn.Runs
	bins, err := buildServers(ctx, rn.Log, rn.Root, rn.BinDir, avail)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(avail, func(s Server) bool { return s.TLS }) {
		if rn.cert, err = writeBenchCert(rn.BinDir); err != nil {
			return err
		}
	}
	total := 0
	for _, sc := range rn.Scenarios {
		k := len(serversFor(sc, avail))
		if k == 0 {
			rn.Log.Warn("no selected server runs this scenario", "scenario", sc.ID, "tls", sc.TLS)
		}
		total += rn.Runs * k
	}
	n := 0
	for _, sc := range rn.Scenarios {
		for run := 1; run <= rn.Runs; run++ {
			for _, s := range serversFor(sc, avail) {
				n++
				rn.Progress.begin(fmt.Sprintf("%s · %s · run %d/%d · %d/%d", sc.ID, s.Name, run, rn.Runs, n, total), sc)
				rec := rn.runOne(ctx, sc, s, bins[s.Pkg], run)
				rn.Progress.end()
				res.Records = append(res.Records, rec)
				rn.logRecord(rec)
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// serversFor returns the servers of srvs that run sc: those it names, or
// else the TLS servers for a TLS scenario and the others (but the Only
// ones) for the rest.
func serversFor(sc Scenario, srvs []Server) []Server {
	var out []Server
	for _, s := range srvs {
		if runs(sc, s) {
			out = append(out, s)
		}
	}
	return out
}

func (rn *Runner) logRecord(r RunRecord) {
	if r.Err != "" {
		rn.Log.Error("run failed", "scenario", r.Scenario, "server", r.Server, "run", r.Run, "err", r.Err)
		return
	}
	x := r.Result
	rn.Log.Info("run done", "scenario", r.Scenario, "server", r.Server, "run", r.Run,
		"rt_per_s", int(x.RTPerSec), "p99_us", x.P99us, "server_cpu_us_per_rt", fmtF(mCPUPerRT(r), 2),
		"rss_per_conn_kib", fmtF(mRSSPerConn(r), 2), "connect_s", fmtF(x.ConnectSeconds, 2),
		"errors", x.Errors, "loadgen_cpu", fmt.Sprintf("%.0f%%", x.LoadgenCPUShare*100))
	if x.Handshakes > 0 {
		rn.Log.Info("run done: handshakes", "scenario", r.Scenario, "server", r.Server, "run", r.Run,
			"handshakes_per_s", int(x.HandshakesPerSec), "server_cpu_us_per_handshake", fmtF(mCPUPerHS(r), 1), "tls", x.TLSVersion+" "+x.TLSGroup)
	}
}

// runOne starts a fresh server, runs the load generator against it and
// stops the server by PID.
func (rn *Runner) runOne(ctx context.Context, sc Scenario, s Server, bin string, run int) RunRecord {
	rec := RunRecord{Scenario: sc.ID, Server: s.Name, Run: run}
	addr, err := childproc.FreeAddr()
	if err != nil {
		rec.Err = err.Error()
		return rec
	}
	pin := rn.Taskset
	if sc.Unpinned {
		pin = "" // the server's threads float over every CPU
	}
	srv, err := startProc(s.Name, rn.serverArgv(s, bin, addr), pin, 0, nil, nil)
	if err != nil {
		rec.Err = err.Error()
		return rec
	}
	defer srv.Stop(5 * time.Second)
	if err := srv.WaitListening(ctx, addr, 20*time.Second); err != nil {
		rec.Err = err.Error()
		return rec
	}
	cfg := loadgenConfig(sc, addr, srv.Pid(), rn.Parallel)
	if sc.TLS {
		cfg.TLS = &loadgen.TLSConfig{RootsPEM: rn.cert.PEM, ServerName: tlsServerName}
	}
	res, err := rn.loadgen(ctx, cfg)
	rec.Result = res
	if err != nil {
		rec.Err = err.Error()
	}
	if srv.Exited() {
		rec.Err = errors.Join(err, fmt.Errorf("the server exited during the run (%v): %s", srv.Err(), srv.Output())).Error()
	}
	return rec
}

func (rn *Runner) serverArgv(s Server, bin, addr string) []string {
	host, port := splitAddr(addr)
	switch s.Kind {
	case kindRuby:
		return []string{"ruby", filepath.Join(rn.Root, "bench/servers/em_echo.rb"), host, port}
	case kindNode:
		return []string{"node", filepath.Join(rn.Root, "bench/servers/node_echo.js"), host, port}
	}
	argv := append([]string{bin, "-addr", addr}, s.Args...)
	if s.TLS {
		argv = append(argv, "-cert", rn.cert.CertFile, "-key", rn.cert.KeyFile)
	}
	return argv
}

func loadgenConfig(sc Scenario, addr string, pid, parallel int) loadgen.Config {
	return loadgen.Config{
		Addr: addr, Conns: sc.Conns, Size: sc.Size, Idle: sc.Idle,
		Warmup: sc.Warmup, Duration: sc.Duration, Settle: sc.Settle, Churn: sc.Churn,
		Parallel: parallel, ConnectTimeout: 2 * time.Minute, ServerPID: pid,
		Progress: 500 * time.Millisecond, LocalAddrs: localAddrs(),
	}
}

// localAddrs spreads the load generator's connections over four loopback
// addresses where all of 127/8 is loopback (Linux), so that 19,000
// connections to one server port do not exhaust one ephemeral port range.
func localAddrs() []string {
	if runtime.GOOS != "linux" {
		return nil
	}
	return []string{"127.0.0.1:0", "127.0.0.2:0", "127.0.0.3:0", "127.0.0.4:0"}
}

// lgMessage is one line the load-generator process writes on stdout.
type lgMessage struct {
	Progress *loadgen.Progress `json:"progress,omitempty"`
	Result   *loadgen.Result   `json:"result,omitempty"`
	Err      string            `json:"error,omitempty"`
}

// loadgen runs the load generator as a separate process (this program in
// its load-generator role), pinned to CPU 1, and reads its messages.
func (rn *Runner) loadgen(ctx context.Context, cfg loadgen.Config) (loadgen.Result, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return loadgen.Result{}, fmt.Errorf("encoding the load generator's config: %w", err)
	}
	p, pipe, err := startLoadgenProc([]string{rn.Self}, rn.Taskset, string(b))
	if err != nil {
		return loadgen.Result{}, err
	}
	defer pipe.Close()
	defer p.Stop(5 * time.Second)
	stopOnCancel := context.AfterFunc(ctx, func() { p.Stop(time.Second) })
	defer stopOnCancel()
	var final *lgMessage
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m lgMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			rn.Log.Warn("load generator said something else", "line", sc.Text())
			continue
		}
		if m.Progress != nil {
			rn.Progress.update(*m.Progress)
			continue
		}
		final = &m
	}
	<-p.Done()
	switch {
	case final == nil:
		return loadgen.Result{}, fmt.Errorf("the load generator ended without a result (%v): %s", p.Err(), p.Output())
	case final.Result == nil:
		return loadgen.Result{}, fmt.Errorf("load generator: %s", final.Err)
	case final.Err != "":
		return *final.Result, errors.New(final.Err)
	}
	return *final.Result, nil
}
