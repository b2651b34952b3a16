package main

import (
	"bufio"
	"context"

	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/evmachine/evmachine/bench/internal/childproc"
)

// buildServers builds each Go server package once, without -race, into
// binDir, and returns the binary of each package.
func buildServers(ctx context.Context, log *slog.Logger, root, binDir string, srvs []Server) (map[string]string, error) {
	bins := map[string]string{}
	for _, s := range srvs {
		if s.Kind != kindGo || bins[s.Pkg] != "" {
			continue
		}
		out := filepath.Join(binDir, filepath.Base(s.Pkg))
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, s.Pkg)
		cmd.Dir = root
		// A -race test binary must not pass -race on to the servers.
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", s.Pkg, err, b)
		}
		log.Info("built server", "pkg", s.Pkg, "bin", out)
		bins[s.Pkg] = out
	}
	return bins, nil
}

// probe runs a short command and returns its trimmed output.
func probe(ctx context.Context, name string, args ...string) (string, error) {
	if _, err := exec.LookPath(name); err != nil {
		return "", fmt.Errorf("%s is not installed", name)
	}
	b, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	out := strings.TrimSpace(string(b))
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, firstLine(out))
	}
	return out, nil
}

// serverVersion says what runs behind s, or why s is skipped.
func serverVersion(ctx context.Context, s Server) (string, error) {
	switch s.Kind {
	case kindRuby:
		v, err := probe(ctx, "ruby", "-e", `require "eventmachine"; print "EventMachine #{EM::VERSION}, Ruby #{RUBY_VERSION}"`)
		if err != nil {
			return "", fmt.Errorf("%w: ruby with the eventmachine gem is not available (%v); apt-get install ruby-eventmachine", errSkipped, err)
		}
		return v, nil
	case kindNode:
		v, err := probe(ctx, "node", "--version")
		if err != nil {
			return "", fmt.Errorf("%w: node is not available (%v)", errSkipped, err)
		}
		return "Node " + v, nil
	}
	return goModVersion(s), nil
}

// goModVersion names the Go library a server is built on, from go.mod.
func goModVersion(s Server) string {
	switch s.Name {
	case refGnet, "gnet-mc":
		if v := depVersion("github.com/panjf2000/gnet/v2"); v != "" {
			return "gnet " + v + ", " + runtime.Version()
		}
	}
	return runtime.Version()
}

// depVersion reads a module's version from the benchmark's own go.mod
// (bench/go.mod) in the working tree.
func depVersion(mod string) string {
	root, err := childproc.ModuleRoot(".")
	if err != nil {
		return ""
	}
	f, err := os.Open(filepath.Join(root, "bench", "go.mod"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == mod {
			return fs[1]
		}
		if len(fs) >= 3 && fs[0] == "require" && fs[1] == mod {
			return fs[2]
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// tasksetPath returns taskset's path when pinning is possible (taskset
// installed and at least two CPUs), else "" and why not.
func tasksetPath(want bool) (string, string) {
	if !want {
		return "", "pinning turned off (-pin=false)"
	}
	if runtime.NumCPU() < 2 {
		return "", "one CPU: server and load generator share it"
	}
	p, err := exec.LookPath("taskset")
	if err != nil {
		return "", "taskset not installed: server and load generator float over all CPUs"
	}
	return p, ""
}
