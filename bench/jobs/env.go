package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/evmachine/evmachine/bench/internal/childproc"
	"github.com/evmachine/evmachine/bench/internal/procfs"
)

//go:embed ruby/noop_job.rb
var noopJobRB []byte

//go:embed ruby/enqueue.rb
var enqueueRB []byte

// The two workers' queues.
const (
	goQueue   = "go"
	relQueue  = "go-reliable"
	rubyQueue = "ruby"
	enqQueue  = "enqueued"
	staging   = "bench:staging"
)

// worker is a worker process that drains a queue.
type worker struct {
	name  string // "evmachine jobs" or "Sidekiq 6.4"
	queue string
	jobs  int // per round
	proc  *childproc.Proc
}

// env is what every round uses: redis-server, the two workers, a control
// client.
type env struct {
	log      *slog.Logger
	s        settings
	dir      string
	redis    *childproc.Proc
	addr     string
	rdb      *goredis.Client
	goW      *worker
	relW     *worker // reliable fetch
	rubyW    *worker
	self     string
	versions string
}

func setUp(ctx context.Context, log *slog.Logger, s settings) (*env, error) {
	e := &env{log: log, s: s}
	var err error
	if e.self, err = os.Executable(); err != nil {
		return nil, err
	}
	if e.dir, err = os.MkdirTemp("", "evm-bench-jobs"); err != nil {
		return nil, err
	}
	for name, b := range map[string][]byte{"noop_job.rb": noopJobRB, "enqueue.rb": enqueueRB} {
		if err := os.WriteFile(filepath.Join(e.dir, name), b, 0o644); err != nil {
			return nil, err
		}
	}
	if err := e.startRedis(ctx); err != nil {
		e.tearDown()
		return nil, err
	}
	e.versions = versions(e.s.sidekiq)
	e.goW = &worker{name: "evmachine jobs", queue: goQueue, jobs: s.goJobs}
	e.relW = &worker{name: "evmachine jobs, reliable fetch", queue: relQueue, jobs: s.goJobs}
	e.rubyW = &worker{name: "Sidekiq 6.4", queue: rubyQueue, jobs: s.rubyJobs}
	for _, w := range []*worker{e.goW, e.relW} {
		w.proc, err = childproc.Start(w.name, []string{e.self, "-role", "go-worker", "-redis", e.addr,
			"-queue", w.queue, "-concurrency", strconv.Itoa(s.concurrency), "-reliable=" + strconv.FormatBool(w == e.relW)},
			nil, 16<<10, nil)
		if err != nil {
			e.tearDown()
			return nil, err
		}
	}
	e.rubyW.proc, err = childproc.Start("sidekiq", []string{s.sidekiq, "-r", filepath.Join(e.dir, "noop_job.rb"),
		"-c", strconv.Itoa(s.concurrency), "-q", rubyQueue, "-e", "production"},
		[]string{"REDIS_URL=redis://" + e.addr + "/0"}, 16<<10, nil)
	if err != nil {
		e.tearDown()
		return nil, err
	}
	// A warm-up round each: both are up, their code paths are warm.
	for _, w := range []*worker{e.goW, e.relW, e.rubyW} {
		log.Info("warming up", "worker", w.name)
		if _, err := e.drainN(ctx, w, 2000); err != nil {
			e.tearDown()
			return nil, fmt.Errorf("warm-up of %s: %w", w.name, err)
		}
	}
	return e, nil
}

func (e *env) startRedis(ctx context.Context) error {
	addr, err := childproc.FreeAddr()
	if err != nil {
		return err
	}
	_, port, _ := strings.Cut(addr, ":")
	e.redis, err = childproc.Start("redis-server", []string{"redis-server", "--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no", "--dir", e.dir, "--loglevel", "warning"}, nil, 16<<10, nil)
	if err != nil {
		return err
	}
	if err := e.redis.WaitListening(ctx, addr, 10*time.Second); err != nil {
		return err
	}
	e.addr = addr
	e.rdb = goredis.NewClient(&goredis.Options{Addr: addr, Protocol: 2})
	return e.rdb.Ping(ctx).Err()
}

func (e *env) tearDown() {
	for _, w := range []*worker{e.goW, e.relW, e.rubyW} {
		if w != nil && w.proc != nil {
			w.proc.Stop(15 * time.Second)
		}
	}
	if e.rdb != nil {
		e.rdb.Close()
	}
	if e.redis != nil {
		e.redis.Stop(5 * time.Second)
	}
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
}

// workersFor gives the workers in round's order: they take turns first.
func (e *env) workersFor(round int) []*worker {
	if round%2 == 0 {
		return []*worker{e.rubyW, e.relW, e.goW}
	}
	return []*worker{e.goW, e.relW, e.rubyW}
}

// drain is one drain round's figures.
type drain struct {
	Worker   string
	Round    int
	Jobs     int
	Elapsed  time.Duration
	CPU      time.Duration // the worker process's
	RedisCPU time.Duration
	Commands map[string]int64 // INFO commandstats calls during the round, the harness's own removed
	Polls    int64
}

func (d drain) jobsPerSec() float64 { return float64(d.Jobs) / d.Elapsed.Seconds() }
func (d drain) jobsPerCPU() float64 { return float64(d.Jobs) / d.CPU.Seconds() }
func (d drain) commandsPerJob() float64 {
	var n int64
	for _, c := range d.Commands {
		n += c
	}
	return float64(n) / float64(d.Jobs)
}

func (e *env) drainRound(ctx context.Context, w *worker, round int) (drain, error) {
	d, err := e.drainN(ctx, w, w.jobs)
	d.Round = round
	return d, err
}

// drainN preloads n jobs under the staging key, then renames it into the
// worker's queue and times the drain: until the queue is empty (at most
// -concurrency no-op jobs are then still running).
func (e *env) drainN(ctx context.Context, w *worker, n int) (drain, error) {
	d := drain{Worker: w.name, Jobs: n}
	if err := e.preload(ctx, w.queue, n); err != nil {
		return d, err
	}
	if err := e.rdb.ConfigResetStat(ctx).Err(); err != nil {
		return d, err
	}
	cpu0, err := procCPU(w.proc)
	if err != nil {
		return d, err
	}
	rcpu0, _ := procCPU(e.redis)
	t0 := time.Now()
	if err := e.rdb.Rename(ctx, staging, "queue:"+w.queue).Err(); err != nil {
		return d, err
	}
	deadline := t0.Add(5 * time.Minute)
	for {
		left, err := e.rdb.LLen(ctx, "queue:"+w.queue).Result()
		if err != nil {
			return d, err
		}
		d.Polls++
		if left == 0 {
			break
		}
		if w.proc.Exited() {
			return d, fmt.Errorf("%s exited: %s", w.name, w.proc.Output())
		}
		if time.Now().After(deadline) {
			return d, fmt.Errorf("%s: %d of %d jobs left after 5 minutes", w.name, left, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	d.Elapsed = time.Since(t0)
	cpu1, err := procCPU(w.proc)
	if err != nil {
		return d, err
	}
	rcpu1, _ := procCPU(e.redis)
	d.CPU, d.RedisCPU = cpu1-cpu0, rcpu1-rcpu0
	info, err := e.rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return d, err
	}
	d.Commands = parseCommandStats(info)
	d.Commands["llen"] -= d.Polls
	d.Commands["rename"]--
	d.Commands["config|resetstat"]--
	for k, v := range d.Commands {
		if v <= 0 {
			delete(d.Commands, k)
		}
	}
	return d, nil
}

// preload fills the staging list with n jobs for queue, in pipelined
// batches, and registers the queue.
func (e *env) preload(ctx context.Context, queue string, n int) error {
	if err := e.rdb.Del(ctx, staging, "queue:"+queue).Err(); err != nil {
		return err
	}
	for done := 0; done < n; {
		k := min(1000, n-done)
		vals := make([]any, k)
		for i := range vals {
			b, err := newNoop(queue).MarshalJSON()
			if err != nil {
				return err
			}
			vals[i] = b
		}
		if err := e.rdb.LPush(ctx, staging, vals...).Err(); err != nil {
			return err
		}
		done += k
	}
	return e.rdb.SAdd(ctx, "queues", queue).Err()
}

// procCPU returns a child's CPU time so far (utime+stime, 10 ms ticks).
func procCPU(p *childproc.Proc) (time.Duration, error) {
	st, err := procfs.ReadStat(p.Pid())
	if err != nil {
		return 0, err
	}
	return st.CPU(), nil
}
