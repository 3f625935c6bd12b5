// cron-parse reads cron schedules, one per line on stdin, and parses each with
// github.com/robfig/cron/v3's ParseStandard, the parser the Kubernetes API
// server validates CronJob schedules with and the CronJob controller runs.
// For each line it prints one JSON object: {"ok":true,"longestGapSeconds":N}
// with the longest gap between two runs scheduled in the window given by
// -from and -to (RFC 3339, UTC) and the first of them, or
// {"ok":false,"error":"..."}.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/robfig/cron/v3"
)

type result struct {
	OK                bool   `json:"ok"`
	Error             string `json:"error,omitempty"`
	LongestGapSeconds int64  `json:"longestGapSeconds,omitempty"`
	First             string `json:"first,omitempty"`
}

func main() {
	fromText := flag.String("from", "2025-01-01T00:00:00Z", "start of the window")
	toText := flag.String("to", "2027-01-03T00:00:00Z", "end of the window")
	flag.Parse()
	// ParseStandard schedules in time.Local; the window and the gaps are in UTC, as the library computes them.
	time.Local = time.UTC
	from, err := time.Parse(time.RFC3339, *fromText)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad -from:", err)
		os.Exit(2)
	}
	to, err := time.Parse(time.RFC3339, *toText)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad -to:", err)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		schedule, err := cron.ParseStandard(in.Text())
		if err != nil {
			_ = out.Encode(result{Error: err.Error()})
			continue
		}
		r := result{OK: true}
		// Runs strictly after from-1s, so a run at from itself counts.
		prev := schedule.Next(from.Add(-time.Second))
		if !prev.IsZero() {
			r.First = prev.UTC().Format(time.RFC3339)
		}
		for !prev.IsZero() && prev.Before(to) {
			next := schedule.Next(prev)
			if next.IsZero() || !next.Before(to) {
				break
			}
			if gap := int64(next.Sub(prev) / time.Second); gap > r.LongestGapSeconds {
				r.LongestGapSeconds = gap
			}
			prev = next
		}
		_ = out.Encode(r)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
