package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/zkmesh/zkmesh/sidecar"
)

func init() {
	commands = append(commands, command{
		name:    "members",
		args:    "[--admin HOST:PORT] [--json] [--timeout DURATION]",
		summary: "list the gossip members a running zkmesh sees: id, role, state, zone, zxid and lag (from its admin server's /commands/members)",
		run:     membersCommand,
	})
}

// membersCommand is `zkmesh members`: it asks a running member's admin HTTP
// server (GET /commands/members) and prints the fleet as that member sees
// it. It never joins the gossip itself.
func membersCommand(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("zkmesh members", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	admin := fs.String("admin", "127.0.0.1:8080", "admin server of the member to ask (zoo.cfg admin.serverAddress:admin.serverPort)")
	asJSON := fs.Bool("json", false, "print the member's JSON answer as is")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	fs.Usage = func() {
		c, _ := lookup("members")
		commandUsage(fs.Output(), c)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "zkmesh members: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if _, _, err := net.SplitHostPort(*admin); err != nil {
		fmt.Fprintf(e.stderr, "zkmesh members: --admin %q: want HOST:PORT\n", *admin)
		return exitUsage
	}
	body, err := fetchMembers(ctx, *admin, *timeout)
	if err != nil {
		fmt.Fprintf(e.stderr, "zkmesh members: %v\n", err)
		return exitFailure
	}
	if *asJSON {
		e.stdout.Write(body)
		return exitOK
	}
	var r sidecar.MembersReport
	if err := json.Unmarshal(body, &r); err != nil {
		fmt.Fprintf(e.stderr, "zkmesh members: %s answered something that is not a members report: %v\n", *admin, err)
		return exitFailure
	}
	if r.Error != nil {
		fmt.Fprintf(e.stderr, "zkmesh members: %s: %s\n", *admin, *r.Error)
		return exitFailure
	}
	if !r.Gossip {
		fmt.Fprintf(e.stderr, "zkmesh members: the member at %s runs no gossip (set gossip.address or --join)\n", *admin)
		return exitFailure
	}
	printMembers(e.stdout, r)
	return exitOK
}

func fetchMembers(ctx context.Context, admin string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := "http://" + admin + "/commands/members"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w (is the member's admin server on? admin.enableServer, admin.serverPort)", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return body, nil
}

// printMembers prints one line per member. ROLE is "leader" for the leader
// the asked member follows; LAG is in txns behind the highest zxid a live
// member advertises, or in epochs when the member is in an older one. The
// asked member is marked with '*'.
func printMembers(w io.Writer, r sidecar.MembersReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tSTATE\tZONE\tZXID\tLAG\tCLIENT\tGOSSIP")
	for _, m := range r.Members {
		name := m.Name
		if m.Local {
			name += "*"
		}
		role := m.Role
		if m.Leader {
			role = "leader"
		}
		zone := m.Zone
		if zone == "" {
			zone = "-"
		}
		lag := strconv.FormatInt(m.Lag, 10)
		if m.LagEpochs > 0 {
			lag = fmt.Sprintf("%d epoch(s)", m.LagEpochs)
		}
		id := "-"
		if m.ServerID != 0 {
			id = strconv.FormatUint(m.ServerID, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, name, role, m.State, zone,
			fmt.Sprintf("0x%x", uint64(m.Zxid)), lag, orDash(m.ClientAddr), m.GossipAddr)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
