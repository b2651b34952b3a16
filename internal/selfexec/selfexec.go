// Package selfexec lets an example's tests run the real program as a child
// process without building it first: the test binary runs main() instead of
// the tests when started by Command. The examples' tests use it to check
// what a user would see (flags, logs, signals, exit status).
package selfexec

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// env names the variable that carries the program's arguments, separated
// by \x1f.
func env(name string) string {
	return "EVMACHINE_" + strings.ToUpper(name) + "_EXAMPLE_ARGS"
}

// Main is a TestMain body: in a child started by Command it runs main with
// the arguments it was given and exits 0 when main returns; otherwise it
// runs the tests.
func Main(m *testing.M, name string, main func()) {
	if args, ok := os.LookupEnv(env(name)); ok {
		os.Args = []string{name}
		if args != "" {
			os.Args = append(os.Args, strings.Split(args, "\x1f")...)
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Command returns a command that runs this test binary as the program
// name with args (the caller sets its pipes and starts it). It fails the
// test if the binary cannot be found.
func Command(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("selfexec: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env(name)+"="+strings.Join(args, "\x1f"))
	return cmd
}

// Run runs cmd to its end, at most for wait (then it is killed by its PID
// and the test fails), and returns what it wrote on stderr with its exit
// error (nil, or an *exec.ExitError).
func Run(t testing.TB, cmd *exec.Cmd, wait time.Duration) (stderr string, err error) {
	t.Helper()
	var buf strings.Builder
	cmd.Stderr = &buf
	cmd.WaitDelay = wait
	if err := cmd.Start(); err != nil {
		t.Fatalf("selfexec: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(wait):
		cmd.Process.Kill() // by its PID
		<-done
		t.Fatalf("selfexec: %s did not exit within %v; stderr: %s", cmd.Path, wait, buf.String())
	}
	return buf.String(), err
}
