package reactor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
)

// ErrSystemOutputSet is handed to System's done when the command's Stdout or
// Stderr is already set: System collects both itself.
var ErrSystemOutputSet = errors.New("reactor: System: Stdout or Stderr already set")

// System runs cmd and then calls done with its combined output (stdout and
// stderr interleaved as written) on the reactor goroutine, as EM.system.
// err is nil for exit status 0; a non-zero exit is the *exec.ExitError from
// cmd.Wait (errors.As finds it, with the status); a command that could not
// start gets the start error. done runs exactly once, in a later tick.
//
// System never blocks the loop: the command is started and waited for on a
// goroutine of its own, not on the Defer pool, so any number of commands may
// run at once and a long command never holds a Defer worker. When the
// reactor stops, running commands are killed; Stop waits for them up to the
// WithDeferCloseGrace period, and their done is dropped and counted in
// DeferStats().Dropped. cmd must be fresh (not started) with Stdout and
// Stderr unset (else done gets ErrSystemOutputSet); Stdin, Dir, Env and the
// rest are honoured. A nil done discards the result. Must be called on the
// reactor goroutine (or before Run).
func (r *Reactor) System(cmd *exec.Cmd, done func(out []byte, err error)) {
	if cmd == nil {
		panic("reactor: System with a nil cmd")
	}
	d := &r.deferred
	if !r.deferInit() {
		d.dropped.Add(1) // the loop is gone: done could never run
		return
	}
	finish := func(out []byte, err error) {
		if done != nil {
			r.postCompletion(func() { done(out, err) })
		}
	}
	if cmd.Stdout != nil || cmd.Stderr != nil {
		finish(nil, ErrSystemOutputSet)
		return
	}
	var out bytes.Buffer
	cmd.Stdout = &out // one writer for both: exec copies them through one pipe
	cmd.Stderr = &out
	d.procs.Add(1)
	d.nprocs.Add(1)
	go func() {
		defer d.procs.Done()
		defer d.nprocs.Add(-1)
		err := runCommand(d.ctx, cmd)
		finish(out.Bytes(), err)
	}()
}

// runCommand starts cmd and waits for it; ctx's end kills it.
func runCommand(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("reactor: System: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	stop()
	return err
}
