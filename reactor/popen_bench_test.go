package reactor

import (
	"os/exec"
	"testing"
)

// BenchmarkPopenTrue starts `true` with Popen and waits for its Unbind
// (exited, output read, reaped): the whole life of a child Conn. Compare
// with BenchmarkExecRunTrue, os/exec's blocking Run of the same program.
func BenchmarkPopenTrue(b *testing.B) {
	r, err := New()
	if err != nil {
		b.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- r.Run() }()
	defer func() {
		r.Stop()
		<-ran
	}()
	done := make(chan error, 1)
	h := HandlerFuncs{OnUnbind: func(_ *Conn, err error) { done <- err }}
	for b.Loop() {
		r.NextTick(func() {
			if _, err := r.Popen(exec.Command("true"), h); err != nil {
				done <- err
			}
		})
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExecRunTrue(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}
