// Short scenarios with the three Go Kafka clients (IBM/sarama, segmentio/kafka-go, twmb/franz-go),
// each asserting what a user of the client sees.
//
//	scenarios [--strict] [--only SUBSTRING] BOOTSTRAP
//
// Prints ok: NAME, FAIL: NAME: reason, or known: NAME (a failure listed in KNOWN_FAILURES, ignored
// with --strict, which is how the scenarios are proven right against Apache Kafka). Exits 1 on
// any FAIL.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type scenario struct {
	name string
	run  func(ctx context.Context, bootstrap string) error
}

var scenarios []scenario

func register(name string, run func(ctx context.Context, bootstrap string) error) {
	scenarios = append(scenarios, scenario{name, run})
}

// runID keeps the topic and group names of two runs against the same broker apart.
var runID = fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)

func name(kind string) string { return "go-" + kind + "-" + runID }

func loadKnown() map[string]string {
	_, file, _, _ := runtime.Caller(0)
	known := map[string]string{}
	for _, p := range []string{filepath.Join(filepath.Dir(file), "..", "KNOWN_FAILURES"), "KNOWN_FAILURES"} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			n, why, _ := strings.Cut(line, " ")
			known[n] = strings.TrimSpace(why)
		}
		f.Close()
		break
	}
	return known
}

func main() {
	strict := flag.Bool("strict", false, "ignore KNOWN_FAILURES (used against Apache Kafka)")
	only := flag.String("only", "", "run only scenarios whose name contains this")
	per := flag.Duration("timeout", 90*time.Second, "time limit per scenario")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: scenarios [--strict] [--only SUBSTRING] BOOTSTRAP")
		os.Exit(2)
	}
	bootstrap := flag.Arg(0)
	known := map[string]string{}
	if !*strict {
		known = loadKnown()
	}
	var ok, failed, kn int
	start := time.Now()
	for _, s := range scenarios {
		if *only != "" && !strings.Contains(s.name, *only) {
			continue
		}
		t0 := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), *per)
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			done := make(chan error, 1)
			go func() { done <- s.run(ctx, bootstrap) }()
			select {
			case err = <-done:
			case <-time.After(*per + 15*time.Second):
				err = errors.New("did not return within its time limit")
			}
			return err
		}()
		cancel()
		el := time.Since(t0).Round(time.Millisecond)
		switch {
		case err == nil:
			ok++
			fmt.Printf("ok: %s (%v)\n", s.name, el)
		case known[s.name] != "":
			kn++
			fmt.Printf("known: %s: %v (%v)\n", s.name, err, el)
		default:
			failed++
			fmt.Printf("FAIL: %s: %v (%v)\n", s.name, err, el)
		}
	}
	fmt.Printf("scenarios: %d ok, %d failed, %d known, %v\n", ok, failed, kn, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		os.Exit(1)
	}
}
