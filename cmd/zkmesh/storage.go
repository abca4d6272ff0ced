package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/zkmesh/zkmesh/sidecar"
	"github.com/zkmesh/zkmesh/storage"
)

func init() {
	commands = append(commands,
		command{name: "purge", args: "[-n COUNT] DATADIR",
			summary: "delete all but the newest COUNT (default and minimum 3) snapshots and the logs they do not need (like zkCleanup.sh)", run: purgeCommand},
		command{name: "inspect", args: "[--tree] DATADIR",
			summary: "print the epochs, snapshot headers and every logged txn of a data directory, read-only; --tree also prints the newest snapshot's znodes", run: inspectCommand},
	)
}

func purgeCommand(_ context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	n := fs.Int("n", 3, "snapshots to keep (at least 3)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: zkmesh purge [-n COUNT] DATADIR")
		return exitUsage
	}
	if *n < 3 {
		fmt.Fprintf(e.stderr, "zkmesh purge: -n %d: must be at least 3\n", *n)
		return exitUsage
	}
	if err := storage.Purge(fs.Arg(0), *n); err != nil {
		fmt.Fprintf(e.stderr, "zkmesh purge: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func inspectCommand(_ context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	tree := fs.Bool("tree", false, "also print every znode of the newest snapshot")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: zkmesh inspect [--tree] DATADIR")
		return exitUsage
	}
	if err := sidecar.Inspect(fs.Arg(0), e.stdout, *tree); err != nil {
		fmt.Fprintf(e.stderr, "zkmesh inspect: %v\n", err)
		return exitFailure
	}
	return exitOK
}
