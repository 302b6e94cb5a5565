// Command go-recorder runs map op scripts against a real Go 1.19
// map[uint64]uint64, map[string]uint64 or map[float64]uint64 and records what the runtime did as a trace plus the
// output a replayer must print for it (see the project's
// trace language, trace/trace-format.md). It also generates random op scripts.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"tophash/gomap"
)

const usage = `usage:
  go-recorder record -o OUT [-trace-input] [-verify-every] [-q] [SCRIPT]
      Run the op script SCRIPT (default or "-": stdin) on a real Go map and
      write OUT.trace and OUT.expected. "record" may be left out:
      go-recorder -o OUT SCRIPT.
      Script lines: keys u64|string|double and values wide (before the
      first op; default u64 keys and values; values wide: map[uint64] of
      136-byte values, written as numbers), hint N (first only), put K V, del K, get K, len, clear,
      iter ID, next ID, dump; blank lines and # comments are ignored.
      Keys and values are literals of the trace language for that key type.
      -trace-input   accept a full trace: hash lines are dropped and the
                     start/offset of iter lines ignored (the runtime chooses)
      -verify-every  check the map against the pins after every operation
                     (always done at each dump)
      -q             no summary on stderr
  go-recorder gen -shape NAME -seed N [-keys u64|string|double] [-values u64|wide] [-o FILE]
      Write a random op script for (shape, seed, keys) to FILE (default stdout).
      -values wide: the same script on a map of 136-byte values (keys u64).
  go-recorder gen -list
      List the shapes.
  go-recorder suite -dir DIR [-seed S] [-count N] [-shapes a,b,...] [-keys K] [-j J] [-v]
      Generate and record N (default 50) scripts in J goroutines: script i
      has shape i mod #shapes and seed S+i (default 1), and is written as
      DIR/SHAPE_SEED.{script,trace,expected}. Prints one line per trace in
      order, "ok NAME" (-v: with the summary) or "error NAME: ...".

Exit status: 0 ok, 2 bad usage or bad script ("error: line N: ..."),
3 the runtime did not look as expected (a recorder bug).
Shapes: ` + "churn grow_iter fill_drain samesize clear_iter big hint mixed"

func die(code int, f string, a ...any) {
	fmt.Fprintf(os.Stderr, "error: "+f+"\n", a...)
	os.Exit(code)
}

func exitCode(err error) int {
	var ie *internalError
	if errors.As(err, &ie) {
		return 3
	}
	return 2
}

func main() {
	if err := gomap.Check(); err != nil {
		die(3, "%v", err)
	}
	args := os.Args[1:]
	cmd := "record"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "record", "gen", "suite":
			cmd, args = args[0], args[1:]
		case "help":
			fmt.Print(usage + "\n")
			return
		}
	}
	switch cmd {
	case "record":
		cmdRecord(args)
	case "gen":
		cmdGen(args)
	case "suite":
		cmdSuite(args)
	}
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Print(usage + "\n")
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "error: %v\n%s\n", err, usage)
		os.Exit(2)
	}
}

// recordScript records one script and writes out.trace and out.expected.
func recordScript(in io.Reader, out string, traceInput, verifyEvery bool) (*recording, error) {
	ops, err := parseScript(in, traceInput)
	if err != nil {
		return nil, err
	}
	rec, err := record(ops, verifyEvery)
	if err != nil {
		return nil, err
	}
	trace := strings.Join(rec.trace, "\n") + "\n"
	if err := os.WriteFile(out+".trace", []byte(trace), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(out+".expected", []byte(rec.exp.String()), 0o644); err != nil {
		return nil, err
	}
	return rec, nil
}

func cmdRecord(args []string) {
	fs := newFlags("record")
	out := fs.String("o", "", "")
	traceInput := fs.Bool("trace-input", false, "")
	verifyEvery := fs.Bool("verify-every", false, "")
	quiet := fs.Bool("q", false, "")
	parseFlags(fs, args)
	if *out == "" || fs.NArg() > 1 {
		die(2, "record needs -o OUT and at most one script\n%s", usage)
	}
	in := io.Reader(os.Stdin)
	name := "stdin"
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			die(2, "%v", err)
		}
		defer f.Close()
		in, name = f, fs.Arg(0)
	}
	rec, err := recordScript(in, *out, *traceInput, *verifyEvery)
	if err != nil {
		die(exitCode(err), "%v", err)
	}
	if !*quiet {
		fmt.Fprintf(os.Stderr, "%s: %s\n", name, rec.summary())
	}
}

func cmdGen(args []string) {
	fs := newFlags("gen")
	shape := fs.String("shape", "", "")
	seed := fs.Int64("seed", 0, "")
	out := fs.String("o", "", "")
	list := fs.Bool("list", false, "")
	keys := fs.String("keys", "u64", "")
	values := fs.String("values", "u64", "")
	parseFlags(fs, args)
	if *list {
		fmt.Println(strings.Join(shapeOrder, "\n"))
		return
	}
	if fs.NArg() != 0 {
		die(2, "gen takes no arguments\n%s", usage)
	}
	s, err := generate(*shape, *seed, *keys)
	if err == nil {
		s, err = withValues(s, *keys, *values)
	}
	if err != nil {
		die(2, "%v", err)
	}
	if *out == "" {
		os.Stdout.WriteString(s)
		return
	}
	if err := os.WriteFile(*out, []byte(s), 0o644); err != nil {
		die(2, "%v", err)
	}
}

// suiteEntry generates, writes and records one script of a suite; its
// result line is "ok NAME[: summary]" or "error NAME: why".
func suiteEntry(dir, shape, keys string, seed int64, verbose bool) string {
	name := fmt.Sprintf("%s_%d", shape, seed)
	base := filepath.Join(dir, name)
	script, err := generate(shape, seed, keys)
	if err == nil {
		err = os.WriteFile(base+".script", []byte(script), 0o644)
	}
	var rec *recording
	if err == nil {
		rec, err = recordScript(strings.NewReader(script), base, false, false)
	}
	if err != nil {
		return fmt.Sprintf("error %s: %v", name, err)
	} else if verbose {
		return "ok " + name + ": " + rec.summary()
	}
	return "ok " + name
}

func cmdSuite(args []string) {
	fs := newFlags("suite")
	dir := fs.String("dir", "", "")
	seed := fs.Int64("seed", 1, "")
	count := fs.Int("count", 50, "")
	shapeList := fs.String("shapes", strings.Join(shapeOrder, ","), "")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "")
	verbose := fs.Bool("v", false, "")
	keys := fs.String("keys", "u64", "")
	parseFlags(fs, args)
	if *dir == "" || fs.NArg() != 0 || *count < 0 || *jobs < 1 {
		die(2, "suite needs -dir DIR\n%s", usage)
	}
	sh := strings.Split(*shapeList, ",")
	for _, s := range sh {
		if _, ok := shapes[s]; !ok {
			die(2, "unknown shape %q", s)
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		die(2, "%v", err)
	}
	results := make([]chan string, *count)
	for i := range results {
		results[i] = make(chan string, 1)
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < *jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				shape, sd := sh[i%len(sh)], *seed+int64(i)
				results[i] <- suiteEntry(*dir, shape, *keys, sd, *verbose)
			}
		}()
	}
	go func() {
		for i := 0; i < *count; i++ {
			work <- i
		}
		close(work)
	}()
	failed := 0
	for i := 0; i < *count; i++ {
		l := <-results[i]
		if strings.HasPrefix(l, "error") {
			failed++
		}
		fmt.Println(l)
	}
	wg.Wait()
	if failed > 0 {
		os.Exit(3)
	}
}

// withValues gives a generated script a `values wide` line when asked
// (the ops are those of keys u64; only the value type changes).
func withValues(script, keys, values string) (string, error) {
	switch {
	case values == "u64":
		return script, nil
	case values != "wide":
		return "", fmt.Errorf("unknown value type %q (u64 or wide)", values)
	case keys != "u64":
		return "", fmt.Errorf("-values wide: only with -keys u64")
	}
	first, rest, _ := strings.Cut(script, "\n")
	return first + "\nvalues wide\n" + rest, nil
}
