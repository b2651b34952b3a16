package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/evmachine/evmachine/jobs"
)

// enqueue pushes one job and prints its jid.
func enqueue(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	queue := fs.String("queue", "default", "queue")
	in := fs.Duration("in", 0, "run the job this much later (the schedule set)")
	retry := fs.Int("retry", -1, "retry budget (-1: Sidekiq's default, 25; 0: straight to the dead set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return fmt.Errorf("enqueue wants CLASS and optionally a JSON array of args, got %q", fs.Args())
	}
	j := &jobs.Job{Class: fs.Arg(0), Queue: *queue, Args: json.RawMessage("[]")}
	if fs.NArg() == 2 {
		var arr []json.RawMessage
		if err := json.Unmarshal([]byte(fs.Arg(1)), &arr); err != nil {
			return fmt.Errorf("args must be a JSON array: %w", err)
		}
		j.Args = json.RawMessage(fs.Arg(1))
	}
	if *retry >= 0 {
		j.Retry = *retry
	}
	bc, err := jobs.DialBlocking(*addr)
	if err != nil {
		return err
	}
	defer bc.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var jid string
	if *in > 0 {
		jid, err = bc.EnqueueIn(ctx, *in, j)
	} else {
		jid, err = bc.Enqueue(ctx, j)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, jid)
	return nil
}
