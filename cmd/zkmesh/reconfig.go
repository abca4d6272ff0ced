package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

func init() {
	commands = append(commands, command{
		name:    "reconfig",
		args:    "[--server HOST:PORT] [--auth USER:PASSWORD] [--add 'server.N=host:peer:election:observer;[host:]client' ...] [--remove N,...] [--members 'server.N=...,...'] [--from-config HEX] [--timeout D]",
		summary: "change the ensemble's membership with ZooKeeper's reconfig (needs reconfigEnabled=true and WRITE on /zookeeper/config) and print the new configuration",
		run:     reconfigCommand,
	})
}

// reconfigArgs is what `zkmesh reconfig` was asked to do.
type reconfigArgs struct {
	server     string
	auth       string
	add        []string
	remove     []string
	members    []string
	fromConfig int64
	timeout    time.Duration
}

// repeated collects a flag given several times, each value possibly a
// comma-separated list.
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ",") }

func (r *repeated) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*r = append(*r, f)
		}
	}
	return nil
}

func parseReconfigArgs(args []string, e *env) (reconfigArgs, error) {
	a := reconfigArgs{fromConfig: -1}
	fs := flag.NewFlagSet("zkmesh reconfig", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&a.server, "server", "127.0.0.1:2181", "client address of any member of the ensemble")
	fs.StringVar(&a.auth, "auth", "", "digest credentials USER:PASSWORD (the super user of superDigest, or one with WRITE on /zookeeper/config)")
	var add, remove, members repeated
	fs.Var(&add, "add", "a server to add or readdress, as a server.N=... line with its client port (repeatable)")
	fs.Var(&remove, "remove", "ids of servers to remove (repeatable, comma-separated)")
	fs.Var(&members, "members", "the whole new membership (non-incremental), server.N=... lines (repeatable, comma-separated)")
	from := fs.String("from-config", "", "apply only if the current configuration version (hex, as in /zookeeper/config) is this one")
	fs.DurationVar(&a.timeout, "timeout", 15*time.Second, "how long to wait for the ensemble")
	fs.Usage = func() {
		c, _ := lookup("reconfig")
		commandUsage(fs.Output(), c)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return a, err
		}
		return a, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return a, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	a.add, a.remove, a.members = add, remove, members
	switch {
	case len(a.members) > 0 && (len(a.add) > 0 || len(a.remove) > 0):
		return a, fmt.Errorf("%w: --members replaces the whole membership; it cannot be combined with --add or --remove", errUsage)
	case len(a.members) == 0 && len(a.add) == 0 && len(a.remove) == 0:
		return a, fmt.Errorf("%w: nothing to do: give --add, --remove or --members", errUsage)
	}
	for _, id := range a.remove {
		if n, err := strconv.ParseUint(id, 10, 64); err != nil || n == 0 {
			return a, fmt.Errorf("%w: --remove %q: want a server id", errUsage, id)
		}
	}
	if *from != "" {
		v, err := strconv.ParseInt(strings.TrimPrefix(*from, "0x"), 16, 64)
		if err != nil || v < 0 {
			return a, fmt.Errorf("%w: --from-config %q: want a hex version", errUsage, *from)
		}
		a.fromConfig = v
	}
	if a.auth != "" && !strings.Contains(a.auth, ":") {
		return a, fmt.Errorf("%w: --auth %q: want USER:PASSWORD", errUsage, a.auth)
	}
	return a, nil
}

func reconfigCommand(ctx context.Context, e *env, args []string) int {
	a, err := parseReconfigArgs(args, e)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "zkmesh reconfig: %v\n", err)
		return exitUsage
	}
	out, err := runReconfig(ctx, a)
	if err != nil {
		fmt.Fprintf(e.stderr, "zkmesh reconfig: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(e.stdout, out)
	return exitOK
}

// runReconfig sends the reconfig and returns the configuration the
// ensemble holds afterwards.
func runReconfig(ctx context.Context, a reconfigArgs) (string, error) {
	conn, events, err := zk.Connect([]string{a.server}, a.timeout, zk.WithLogger(log.New(io.Discard, "", 0)))
	if err != nil {
		return "", fmt.Errorf("connecting to %s: %w", a.server, err)
	}
	defer conn.Close()
	deadline := time.NewTimer(a.timeout)
	defer deadline.Stop()
	for connected := false; !connected; {
		select {
		case ev := <-events:
			connected = ev.State == zk.StateHasSession
		case <-deadline.C:
			return "", fmt.Errorf("no session with %s within %v", a.server, a.timeout)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if a.auth != "" {
		if err := conn.AddAuth("digest", []byte(a.auth)); err != nil {
			return "", fmt.Errorf("authenticating: %w", err)
		}
	}
	if len(a.members) > 0 {
		_, err = conn.Reconfig(a.members, a.fromConfig)
	} else {
		_, err = conn.IncrementalReconfig(a.add, a.remove, a.fromConfig)
	}
	if err != nil {
		return "", fmt.Errorf("reconfig refused: %s", reconfigError(err))
	}
	if _, err := conn.Sync("/zookeeper/config"); err != nil {
		return "", fmt.Errorf("sync: %w", err)
	}
	data, _, err := conn.Get("/zookeeper/config")
	if err != nil {
		return "", fmt.Errorf("reading /zookeeper/config: %w", err)
	}
	return string(data), nil
}

// reconfigError explains the errors reconfig answers with.
func reconfigError(err error) string {
	switch {
	case errors.Is(err, zk.ErrNoAuth):
		return "not authorized: WRITE on /zookeeper/config is needed (--auth with the super user of superDigest)"
	case errors.Is(err, zk.ErrBadVersion):
		return "the configuration version is not --from-config (another reconfig came first)"
	case errors.Is(err, zk.ErrBadArguments):
		return "bad arguments: a server line is malformed, lacks its client port, reuses an address, or leaves fewer than 2 voters"
	case errors.Is(err, zk.ErrNoServer), errors.Is(err, zk.ErrConnectionClosed):
		return "the member lost its leader while answering; retry"
	case errors.Is(err, zk.ErrReconfigDisabled):
		return "reconfig is disabled: set reconfigEnabled=true on every member"
	// go-zookeeper has no names for these codes.
	case strings.HasSuffix(err.Error(), "error: -13"):
		return "no quorum of the new configuration is connected and synced"
	case strings.HasSuffix(err.Error(), "error: -14"):
		return "another reconfig is in progress; retry"
	case strings.HasSuffix(err.Error(), "error: -6"):
		return "unimplemented: zkmesh changes the voters one voter at a time (add, remove, promote or demote one per reconfig; observers freely); a standalone server cannot reconfig at all"
	}
	return err.Error()
}
