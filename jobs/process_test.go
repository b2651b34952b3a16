package jobs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
)

// The crash tests run workers as processes of their own: the test binary
// started again with JOBS_WORKER_REDIS set runs workerMain instead of the
// tests.
func TestMain(m *testing.M) {
	if addr := os.Getenv("JOBS_WORKER_REDIS"); addr != "" {
		os.Exit(workerMain(addr))
	}
	os.Exit(m.Run())
}

// workerMain is a worker process: a Server on the queue "load" whose
// Work jobs sleep JOBS_WORKER_SLEEP and count their runs in the hash
// runs (HINCRBY runs <jid> 1). SIGTERM shuts it down gracefully.
func workerMain(addr string) int {
	sleep, _ := time.ParseDuration(os.Getenv("JOBS_WORKER_SLEEP"))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	bc, err := DialBlocking(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer bc.Close()
	r, err := reactor.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	opts := []ServerOption{WithQueues("load"), WithConcurrency(10), WithLogger(testLogger()),
		WithHeartbeat(200 * time.Millisecond), WithProcessTTL(2 * time.Second),
		WithRecoverInterval(300 * time.Millisecond), WithFetchTimeout(500 * time.Millisecond)}
	if os.Getenv("JOBS_WORKER_RELIABLE") != "" {
		opts = append(opts, WithReliableFetch())
	}
	s, err := NewServer(r, addr, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s.Handle("Work", func(_ context.Context, j *Job) error {
		time.Sleep(sleep)
		_, err := bc.Do(context.Background(), "HINCRBY", "runs", j.JID, 1)
		return err
	})
	if err := s.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- r.Run() }()
	fmt.Println("started", s.Identity())
	<-ctx.Done()
	err = s.Shutdown(context.Background())
	r.Stop()
	<-done
	if err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		return 2
	}
	return 0
}

// worker is a worker process started by a test.
type worker struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    *nettest.Buffer
}

// startWorker starts the test binary as a worker process on e's Redis;
// it is killed by PID in t.Cleanup if still running.
func (e *env) startWorker(reliable bool, sleep time.Duration) *worker {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "JOBS_WORKER_REDIS="+e.srv.Addr, "JOBS_WORKER_SLEEP="+sleep.String())
	if reliable {
		cmd.Env = append(cmd.Env, "JOBS_WORKER_RELIABLE=1")
	}
	w := &worker{cmd: cmd, exited: make(chan struct{}), log: new(nettest.Buffer)}
	cmd.Stdout, cmd.Stderr = w.log, w.log
	require.NoError(e.t, cmd.Start())
	go func() { _ = cmd.Wait(); close(w.exited) }()
	e.t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-w.exited
		}
		if e.t.Failed() {
			e.t.Logf("worker %d output:\n%s", cmd.Process.Pid, w.log.String())
		}
	})
	return w
}

// signal sends sig to the worker by PID and, for SIGKILL and SIGTERM,
// waits for it to exit.
func (w *worker) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, syscall.Kill(w.cmd.Process.Pid, sig))
	wait(t, w.exited, "the worker to exit")
}

// exitCode returns the exited worker's exit code.
func (w *worker) exitCode() int { return w.cmd.ProcessState.ExitCode() }

// enqueueLoad pushes n Work jobs onto the queue "load" and returns their
// jids.
func (e *env) enqueueLoad(n int) []string {
	e.t.Helper()
	var jids []string
	for start := 0; start < n; start += 1000 {
		var js []*Job
		for i := start; i < min(n, start+1000); i++ {
			j, err := NewJob("Work", i)
			require.NoError(e.t, err)
			j.Queue = "load"
			js = append(js, j)
		}
		ids, err := e.bc.EnqueueBulk(context.Background(), js)
		require.NoError(e.t, err)
		jids = append(jids, ids...)
	}
	return jids
}

// runs returns how many times each job ran.
func (e *env) runs() map[string]int {
	e.t.Helper()
	m, err := e.do("HGETALL", "runs").AsMap()
	require.NoError(e.t, err)
	out := make(map[string]int, len(m))
	for k, v := range m {
		n, err := strconv.Atoi(v)
		require.NoError(e.t, err)
		out[k] = n
	}
	return out
}
