package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
)

// enqueuer is one way of enqueueing.
type enqueuer struct {
	name string
	argv []string
	env  []string
	jobs int
}

func (e *env) enqueuersFor(round int) []enqueuer {
	s := e.s
	goSide := []enqueuer{
		{name: fmt.Sprintf("evmachine Client.Enqueue, %d outstanding", s.window), jobs: s.goEnqueue,
			argv: []string{e.self, "-role", "go-enqueue", "-redis", e.addr, "-queue", enqQueue, "-mode", "enqueue",
				"-n", strconv.Itoa(s.goEnqueue), "-window", strconv.Itoa(s.window)}},
		{name: fmt.Sprintf("evmachine Client.EnqueueBulk, batches of %d", s.batch), jobs: s.goEnqueue,
			argv: []string{e.self, "-role", "go-enqueue", "-redis", e.addr, "-queue", enqQueue, "-mode", "bulk",
				"-n", strconv.Itoa(s.goEnqueue), "-batch", strconv.Itoa(s.batch)}},
	}
	renv := []string{"REDIS_URL=redis://" + e.addr + "/0"}
	rb := filepath.Join(e.dir, "enqueue.rb")
	rubySide := []enqueuer{
		{name: "Sidekiq::Client.push in a loop", jobs: s.rubyPush, env: renv,
			argv: []string{"ruby", rb, "push", strconv.Itoa(s.rubyPush), enqQueue}},
		{name: fmt.Sprintf("Sidekiq::Client.push_bulk, batches of %d", s.batch), jobs: s.rubyBulk, env: renv,
			argv: []string{"ruby", rb, "push_bulk", strconv.Itoa(s.rubyBulk), enqQueue, strconv.Itoa(s.batch)}},
	}
	if round%2 == 0 {
		return append(rubySide, goSide...)
	}
	return append(goSide, rubySide...)
}

// enqueue is one enqueue round's figures, as the child measured them.
type enqueue struct {
	Client string
	Round  int
	Jobs   int
	Wall   time.Duration
	CPU    time.Duration
}

func (q enqueue) jobsPerSec() float64 { return float64(q.Jobs) / q.Wall.Seconds() }
func (q enqueue) jobsPerCPU() float64 { return float64(q.Jobs) / q.CPU.Seconds() }

func (e *env) enqueueRound(ctx context.Context, k enqueuer, round int) (enqueue, error) {
	q := enqueue{Client: k.name, Round: round}
	if err := e.rdb.Del(ctx, "queue:"+enqQueue).Err(); err != nil {
		return q, err
	}
	cmd := exec.CommandContext(ctx, k.argv[0], k.argv[1:]...)
	cmd.Env = append(os.Environ(), k.env...)
	cmd.SysProcAttr = childproc.ChildAttr()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return q, fmt.Errorf("%s: %w: %s", k.name, err, tail(stderr.String()))
	}
	t, err := decodeTiming(bytes.NewReader(out))
	if err != nil {
		return q, fmt.Errorf("%s: output %q: %w", k.name, out, err)
	}
	n, err := e.rdb.LLen(ctx, "queue:"+enqQueue).Result()
	if err != nil {
		return q, err
	}
	if n != int64(t.Jobs) {
		return q, fmt.Errorf("%s: %d jobs in the queue, want %d", k.name, n, t.Jobs)
	}
	q.Jobs = t.Jobs
	q.Wall = time.Duration(t.Seconds * float64(time.Second))
	q.CPU = time.Duration(t.CPUSeconds * float64(time.Second))
	return q, e.rdb.Del(ctx, "queue:"+enqQueue).Err()
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// versions names the peers' versions for the report.
func versions(sidekiq string) string {
	var parts []string
	if out, err := exec.Command("ruby", "-e", `require "sidekiq"; require "redis"; print "ruby #{RUBY_VERSION}, sidekiq #{Sidekiq::VERSION}, redis-rb #{Redis::VERSION}"`).Output(); err == nil {
		parts = append(parts, string(out))
	}
	if out, err := exec.Command("redis-server", "--version").Output(); err == nil {
		f := strings.Fields(string(out))
		if len(f) >= 3 {
			parts = append(parts, "redis-server "+strings.TrimPrefix(f[2], "v="))
		}
	}
	if len(parts) == 0 {
		return "(versions unknown)"
	}
	return strings.Join(parts, ", ")
}
