package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/evmachine/evmachine/bench/internal/loadgen"
)

// The runner starts this same program as the load generator, with these
// variables set: a separate process it can pin to its own CPU and whose
// CPU time it can read from /proc.
const (
	roleEnv = "EVBENCH_ROLE"    // "loadgen"
	cfgEnv  = "EVBENCH_LOADGEN" // the loadgen.Config, as JSON
)

// isLoadgenRole reports whether this process was started as the load
// generator.
func isLoadgenRole() bool { return os.Getenv(roleEnv) == "loadgen" }

// loadgenRole runs the load generator and writes JSON lines to stdout:
// progress while it runs, then one result (with an error, if any). It
// returns the process's exit code.
func loadgenRole() int {
	enc := json.NewEncoder(os.Stdout)
	var cfg loadgen.Config
	if err := json.Unmarshal([]byte(os.Getenv(cfgEnv)), &cfg); err != nil {
		enc.Encode(lgMessage{Err: fmt.Sprintf("bad %s: %v", cfgEnv, err)})
		return 2
	}
	res, err := loadgen.Run(cfg, func(p loadgen.Progress) { enc.Encode(lgMessage{Progress: &p}) })
	m := lgMessage{Result: &res}
	if err != nil {
		m.Err = err.Error()
	}
	if err := enc.Encode(m); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: writing the result:", err)
		return 1
	}
	return 0
}
