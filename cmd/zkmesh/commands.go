package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // startup or runtime failure (bad configuration, port in use ...)
	exitUsage   = 2 // the command line itself is wrong
)

// env is what a subcommand may touch of the process.
type env struct {
	stdout, stderr io.Writer
}

// command is one subcommand. To add one (purge, inspect, bench, members,
// reconfig ...), append it to commands from an init function in the
// subcommand's own file.
type command struct {
	name    string
	args    string // synopsis of the arguments, for help
	summary string // one line, for help
	// run runs the subcommand with the arguments after its name and
	// returns the exit code. It returns exitUsage, after printing why, when
	// the arguments are wrong.
	run func(ctx context.Context, e *env, args []string) int
}

// commands is the table of subcommands. Files that add one append to it
// from init (init order does not matter: help sorts by name).
var commands []command

func init() {
	commands = append(commands,
		command{name: "run", args: "[--config zoo.cfg] [--data-dir DIR] [--client-addr HOST:PORT] [--xds-addr HOST:PORT] [--gossip-addr IP:PORT] [--join HOST:PORT[,HOST:PORT]] [--gossip-key-file FILE] [--zone ZONE] [--region REGION] [--log-format json|console] [--log-level LEVEL]",
			summary: "run the sidecar (ZooKeeper server, ensemble member, xDS server) until SIGINT or SIGTERM", run: runCommand},
		command{name: "version", summary: "print the version, the git commit, the Go version and the protocol", run: versionCommand},
		command{name: "help", args: "[command]", summary: "print this help, or a command's", run: helpCommand},
	)
}

// errUsage marks a command-line error (exit code 2).
var errUsage = errors.New("usage")

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// dispatch runs the subcommand named by args[0] and returns the exit code.
func dispatch(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "zkmesh: missing command")
		usage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(e.stderr, "zkmesh: unknown command %q\n", name)
		usage(e.stderr)
		return exitUsage
	}
	return c.run(ctx, e, args[1:])
}

// usage prints the list of commands.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: zkmesh <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	sorted := append([]command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'zkmesh help <command>' for a command's arguments.")
}

func commandUsage(w io.Writer, c command) {
	fmt.Fprintf(w, "Usage: zkmesh %s %s\n\n%s\n", c.name, c.args, strings.ToUpper(c.summary[:1])+c.summary[1:]+".")
}

func helpCommand(_ context.Context, e *env, args []string) int {
	switch len(args) {
	case 0:
		usage(e.stdout)
		return exitOK
	case 1:
		c, ok := lookup(args[0])
		if !ok {
			fmt.Fprintf(e.stderr, "zkmesh help: unknown command %q\n", args[0])
			usage(e.stderr)
			return exitUsage
		}
		commandUsage(e.stdout, c)
		return exitOK
	}
	fmt.Fprintln(e.stderr, "zkmesh help: want at most one command name")
	return exitUsage
}
