package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
)

// options are the command line.
type options struct {
	quick     bool
	servers   string
	scenarios string
	runs      int
	out       string
	pin       bool
	parallel  int
	from      string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.BoolVar(&o.quick, "quick", false, "short windows, one run each (about 2 minutes); written to a temp dir unless -out")
	fs.StringVar(&o.servers, "servers", "all", "servers to run, comma-separated: evmachine,gnet,gnet-mc,gostd,em,node (plain), evmtls,gotls (TLS), evmachine-group,evmslow-off,evmslow (group)")
	fs.StringVar(&o.scenarios, "scenarios", "all", "scenarios to run, comma-separated: S1,S2,S3,S4,S5 (plain), T1,T2,T3,T4 (TLS), S2M,S2D (group: many loops, the slow-callback detector)")
	fs.IntVar(&o.runs, "runs", 0, "runs per scenario and server (default 3, 1 with -quick)")
	fs.StringVar(&o.out, "out", "", "directory for RESULTS.md, results.svg, results.json (default bench/, or a temp dir with -quick)")
	fs.BoolVar(&o.pin, "pin", true, "pin the server to CPU 0 and the load generator to CPU 1 with taskset")
	fs.IntVar(&o.parallel, "parallel", 64, "connections in their connect phase at once")
	fs.StringVar(&o.from, "from", "", "redraw the report and chart from this results.json instead of running")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.runs == 0 {
		o.runs = 3
		if o.quick {
			o.runs = 1
		}
	}
	if o.runs < 1 || o.parallel < 1 {
		return o, errors.New("-runs and -parallel must be at least 1")
	}
	return o, nil
}

func main() {
	if isLoadgenRole() {
		os.Exit(loadgenRole())
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = run(opts, log)
	}
	if err != nil {
		log.Error("bench", "err", err)
		os.Exit(1)
	}
}

func run(o options, log *slog.Logger) error {
	root, err := childproc.ModuleRoot(".")
	if err != nil {
		return err
	}
	out := o.out
	switch {
	case out != "":
	case o.quick:
		out = filepath.Join(os.TempDir(), "evmachine-bench-quick")
	default:
		out = filepath.Join(root, "bench")
	}
	if o.from != "" {
		res, err := loadJSON(o.from)
		if err != nil {
			return err
		}
		return writeOutputs(log, out, res, false)
	}
	if runtime.GOOS != "linux" {
		return errors.New("the benchmark reads /proc: it runs on Linux only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := runSuite(ctx, o, root, log)
	if res == nil {
		return err
	}
	if werr := writeOutputs(log, out, res, true); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// runSuite runs the selected scenarios and servers. A cancelled run
// returns what it measured so far with the error.
func runSuite(ctx context.Context, o options, root string, log *slog.Logger) (*Results, error) {
	scs, err := selectNames(allScenarios(o.quick), func(s Scenario) string { return s.ID }, o.scenarios, "scenario")
	if err != nil {
		return nil, err
	}
	srvs, err := selectNames(servers(runtime.NumCPU()), func(s Server) string { return s.Name }, o.servers, "server")
	if err != nil {
		return nil, err
	}
	if n, err := childproc.RaiseNoFile(); err != nil || n < 20_000 {
		log.Warn("open-file limit below what S5 needs (19,000 connections per process)", "limit", n, "err", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program for the load generator: %w", err)
	}
	binDir, err := os.MkdirTemp("", "evmachine-bench-bin-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(binDir)
	taskset, why := tasksetPath(o.pin)
	pinning := "server on CPU 0, load generator on CPU 1 (taskset)"
	if taskset == "" {
		pinning = why
	}
	m := describeMachine(pinning)
	m.Revision = revision(root)
	res := &Results{Machine: m, Command: commandLine(os.Args[1:]), Started: time.Now(), Quick: o.quick}
	rn := &Runner{Root: root, BinDir: binDir, Self: self, Taskset: taskset, Scenarios: scs, Servers: srvs,
		Runs: o.runs, Parallel: o.parallel, Log: log, Progress: newProgress(os.Stderr, log)}
	log.Info("benchmark starting", "scenarios", o.scenarios, "servers", o.servers, "runs", o.runs, "placement", pinning)
	err = rn.Run(ctx, res)
	res.Finished = time.Now()
	return res, err
}

// writeOutputs writes RESULTS.md and results.svg (and, for a fresh run,
// results.json, results-tls.json and results-group.json) into dir. res
// holds the scenarios of one suite or more; a suite it does not hold is
// drawn into RESULTS.md from its file in dir, if there is one, so that
// running one suite keeps the others' figures. The chart is of the plain
// scenarios, redrawn only when res holds them.
func writeOutputs(log *slog.Logger, dir string, res *Results, withJSON bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	set := reportSet{plain: res.part(suitePlain), tls: res.part(suiteTLS), group: res.part(suiteGroup)}
	plainFresh := set.plain != nil
	files := []string{"RESULTS.md"}
	for _, p := range []struct {
		part *Results
		file string
		into **Results
	}{{set.plain, resultsFile, &set.plain}, {set.tls, resultsTLSFile, &set.tls}, {set.group, resultsGroupFile, &set.group}} {
		path := filepath.Join(dir, p.file)
		switch {
		case p.part != nil && withJSON:
			if err := saveJSON(path, p.part); err != nil {
				return err
			}
			files = append(files, p.file)
		case p.part == nil:
			old, err := loadJSON(path)
			switch {
			case err == nil:
				*p.into = old
			case !errors.Is(err, os.ErrNotExist):
				log.Warn("another suite's results are not drawn", "file", path, "err", err)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, tlsNotesFile)); err == nil {
		set.tlsNotes = string(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, groupNotesFile)); err == nil {
		set.groupNotes = string(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, descriptorsFile)); err == nil {
		set.descriptors = string(b)
	}
	var kept string // sections other commands (go run ./bench/jobs) wrote into RESULTS.md
	if b, err := os.ReadFile(filepath.Join(dir, "RESULTS.md")); err == nil {
		kept = keptSections(string(b))
	}
	if err := writeFile(filepath.Join(dir, "RESULTS.md"), func(f *os.File) error {
		if err := writeReportSet(f, set); err != nil {
			return err
		}
		_, err := io.WriteString(f, kept)
		return err
	}); err != nil {
		return err
	}
	if plainFresh {
		if err := writeFile(filepath.Join(dir, "results.svg"), func(f *os.File) error { return writeChart(f, set.plain) }); err != nil {
			return err
		}
		files = append(files, "results.svg")
	}
	log.Info("report written", "dir", dir, "files", strings.Join(files, " "))
	return nil
}

// tlsNotesFile, when it is in the output directory, is the hand-written
// reading of the TLS figures' profiles, drawn into RESULTS.md's TLS
// section as it is.
const tlsNotesFile = "TLS-PROFILE.md"

// groupNotesFile is the same for the group suite's section.
const groupNotesFile = "GROUP-PROFILE.md"

// descriptorsFile is the section bench/descriptors writes (datagrams and
// SendFile), drawn at the end of RESULTS.md as it is.
const descriptorsFile = "DESCRIPTORS.md"

// keptSections returns the sections of an old RESULTS.md that another
// command wrote between its markers ("<!-- bench/NAME: begin ..." up to
// "<!-- bench/NAME: end -->", as go run ./bench/jobs does), each preceded
// by a blank line, so that rewriting the file keeps them.
func keptSections(old string) string {
	var out strings.Builder
	for {
		i := strings.Index(old, "<!-- bench/")
		if i < 0 {
			return out.String()
		}
		name, _, ok := strings.Cut(old[i+len("<!-- bench/"):], ": begin")
		end := "<!-- bench/" + name + ": end -->"
		j := strings.Index(old[i:], end)
		if !ok || strings.ContainsAny(name, " \n") || j < 0 {
			old = old[i+1:]
			continue
		}
		out.WriteString("\n" + old[i:i+j+len(end)] + "\n")
		old = old[i+j+len(end):]
	}
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// commandLine is how the report quotes the command that produced it.
func commandLine(args []string) string {
	parts := []string{"go run ./bench"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
