package main

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// parseCommandStats reads the calls of each command from the text of INFO
// commandstats ("cmdstat_brpop:calls=10000,usec=...,..."), keyed by the
// lower-case command name ("config|resetstat" for a subcommand). Lines it
// does not understand are skipped.
func parseCommandStats(info string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "cmdstat_")
		if !ok {
			continue
		}
		name, fields, ok := strings.Cut(rest, ":")
		if !ok || name == "" {
			continue
		}
		for _, f := range strings.Split(fields, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && out[strings.ToLower(name)] <= math.MaxInt64-n {
					out[strings.ToLower(name)] += n
				}
				break
			}
		}
	}
	return out
}

// median returns the median of f over xs (0 for none).
func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		v = append(v, f(x))
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
