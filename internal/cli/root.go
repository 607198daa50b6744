// Package cli implements trailwatch's commands: one file per command, each an
// options struct plus a run function, with I/O streams injected so tests can
// capture output.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/spf13/cobra"
)

// Streams are the standard streams a command uses.
type Streams struct {
	In       io.Reader
	Out      io.Writer
	Err      io.Writer
	ErrIsTTY bool // progress is drawn only on a terminal
	OutIsTTY bool // query prints an aligned table on a terminal
}

// exitError carries a specific exit status out of a command.
type exitError struct {
	code int
	err  error // nil: the command already reported; just exit
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// usageError marks a command-line mistake (exit status 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

// Exit statuses shared by all commands; match follows grep.
const (
	exitOK      = 0
	exitNoMatch = 1
	exitError2  = 2
)

// Execute runs trailwatch with args (without the program name) and returns
// the process exit status.
func Execute(ctx context.Context, args []string, s Streams) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	err := root.ExecuteContext(ctx)
	pprof.StopCPUProfile() // a command that failed skips PersistentPostRun
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(s.Err, "trailwatch: %v\n", ee.err)
		}
		return ee.code
	}
	// Anything else is a usage problem (unknown flag, missing argument) or
	// an input error: both exit 2, the message names what was wrong.
	msg := err.Error()
	fmt.Fprintf(s.Err, "trailwatch: %s\n", msg)
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(msg) {
		fmt.Fprintf(s.Err, "Run 'trailwatch %s --help' for usage.\n", commandPath(root, args))
	}
	return exitError2
}

func isCobraUsage(msg string) bool {
	for _, p := range []string{"unknown flag", "unknown shorthand", "unknown command", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "bad flag syntax"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// commandPath names the subcommand args were aimed at, for the help hint.
func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == root {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
}

func newRootCmd(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "trailwatch",
		Short: "Answer who did what in AWS CloudTrail logs, and whether to wake someone",
		Long: `trailwatch answers, from AWS CloudTrail logs in any shape (S3 delivery files,
pasted events, JSON Lines, CloudWatch Logs subscription payloads, EventBridge
events): who really did this, was it allowed, and should someone be woken up?

It evaluates CloudWatch Logs filter patterns, metric filters and alarms exactly
as CloudWatch does, but anywhere and over history (match, scan, rules); follows
role sessions and issued keys back to who acted (actors, whois); joins the
principal and resource tags CloudTrail does not carry to find one service or
tenant touching another's resources (inventory, audit); runs Athena's SQL over
a local Parquet store (ingest, query, athena); and does all of it continuously
on new logs (watch, lambda).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	// --cpuprofile writes a pprof CPU profile of the command, for the
	// measurements in docs/PERFORMANCE.md; hidden from help.
	var cpuProfile string
	var profileFile *os.File
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the command to `FILE`")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return &exitError{code: exitError2, err: fmt.Errorf("cpuprofile: %w", err)}
		}
		profileFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(*cobra.Command, []string) { stopProfile(profileFile) }
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err: err}
	})
	root.AddCommand(newMatchCmd(s))
	root.AddCommand(newActorsCmd(s))
	root.AddCommand(newWhoisCmd(s))
	root.AddCommand(newScanCmd(s))
	root.AddCommand(newRulesCmd(s))
	root.AddCommand(newIngestCmd(s))
	root.AddCommand(sqlCommands(s)...)
	root.AddCommand(newAthenaCmd(s))
	root.AddCommand(newWatchCmd(s))
	root.AddCommand(newLambdaCmd(s))
	root.AddCommand(newInventoryCmd(s))
	root.AddCommand(newAuditCmd(s))
	root.AddCommand(newDigestCmd(s))
	return root
}

// lockedWriter serialises writes from several goroutines (error reports
// arrive from the directory walker and the workers).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// StdStreams returns the process's standard streams.
func StdStreams() Streams {
	tty := func(f *os.File) bool {
		fi, err := f.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, ErrIsTTY: tty(os.Stderr), OutIsTTY: tty(os.Stdout)}
}

// stopProfile ends the CPU profile written to f, if any.
func stopProfile(f *os.File) {
	if f == nil {
		return
	}
	pprof.StopCPUProfile()
	f.Close()
}
