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
