package main

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run printed.
type wrkResult struct {
	Requests     int64
	Elapsed      time.Duration // "N requests in 10.00s"
	ReqPerSec    float64
	P50, P99     time.Duration // from --latency
	SocketErrors int64         // connect+read+write+timeout
	Non2xx       int64
	ErrorLine    string // wrk's "Socket errors: ..." line, as it is
}

// parseWrk reads wrk's output (run with --latency).
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRate, haveReqs bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := parseWrkDuration(f[1])
			if err != nil {
				return r, err
			}
			if f[0] == "50%" {
				r.P50 = d
			} else {
				r.P99 = d
			}
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: requests: %w", err)
			}
			d, err := parseWrkDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return r, err
			}
			r.Requests, r.Elapsed, haveReqs = n, d, true
		case strings.HasPrefix(line, "Requests/sec:") && len(f) == 2:
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("wrk: requests/sec: %w", err)
			}
			r.ReqPerSec, haveRate = v, true
		case strings.HasPrefix(line, "Socket errors:"):
			r.ErrorLine = line
			// Socket errors: connect 0, read 0, write 0, timeout 12
			for _, part := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				kv := strings.Fields(part)
				if len(kv) == 2 {
					n, err := strconv.ParseInt(kv[1], 10, 64)
					if err != nil {
						return r, fmt.Errorf("wrk: socket errors: %w", err)
					}
					r.SocketErrors += n
				}
			}
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: non-2xx: %w", err)
			}
			r.Non2xx = n
		}
	}
	if !haveRate || !haveReqs {
		return r, errors.New("wrk printed no Requests/sec or request count")
	}
	return r, nil
}

// parseWrkDuration parses wrk's latency units: 812.00us, 1.23ms, 2.00s,
// 1.00m.
func parseWrkDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"m", time.Minute}, {"s", time.Second}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk duration %q: %w", s, err)
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk duration %q: unknown unit", s)
}
