package sim

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/zkmesh/zkmesh/zab"
)

// Case is one command of a scenario script and its expected output.
type Case struct {
	// Comment holds the '#' lines before the command, kept on rewrite.
	Comment []string
	Cmd     string
	Want    string
	Line    int
}

// ParseScript reads a scenario file: each case is optional '#' comment
// lines, one command line, a "----" line, the expected output, and a blank
// line.
func ParseScript(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cases []Case
	var cur Case
	state := 0 // 0: before command, 1: after command, 2: in output
	var out []string
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		switch state {
		case 0:
			switch {
			case strings.TrimSpace(l) == "":
			case strings.HasPrefix(l, "#"):
				cur.Comment = append(cur.Comment, l)
			default:
				cur.Cmd, cur.Line = l, line
				state = 1
			}
		case 1:
			if l != "----" {
				return nil, fmt.Errorf("%s:%d: want ---- after the command", path, line)
			}
			state = 2
		case 2:
			if l == "" {
				cur.Want = strings.Join(out, "\n")
				cases = append(cases, cur)
				cur, out, state = Case{}, nil, 0
				continue
			}
			out = append(out, l)
		}
	}
	if state == 1 {
		return nil, fmt.Errorf("%s:%d: command without ----", path, line)
	}
	if state == 2 {
		cur.Want = strings.Join(out, "\n")
		cases = append(cases, cur)
	}
	return cases, sc.Err()
}

// FormatScript writes cases back in the script format.
func FormatScript(cases []Case) string {
	var b strings.Builder
	for i, c := range cases {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, l := range c.Comment {
			b.WriteString(l + "\n")
		}
		b.WriteString(c.Cmd + "\n----\n")
		if c.Want != "" {
			b.WriteString(c.Want + "\n")
		}
	}
	return b.String()
}

// Script runs scenario commands against one cluster.
type Script struct {
	c   *Cluster
	out []string
}

func (s *Script) printf(format string, args ...any) {
	s.out = append(s.out, fmt.Sprintf(format, args...))
}

type args map[string]string

func parseArgs(fields []string) args {
	a := args{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			v = "true"
		}
		a[k] = v
	}
	return a
}

func (a args) int(k string, def int) (int, error) {
	v, ok := a[k]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", k, v, err)
	}
	return n, nil
}

func (a args) id(k string) (zab.ServerID, error) {
	n, err := a.int(k, 0)
	return zab.ServerID(n), err
}

func parseIDs(s string) ([]zab.ServerID, error) {
	var out []zab.ServerID
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("bad id %q", f)
		}
		out = append(out, zab.ServerID(n))
	}
	return out, nil
}

// Run executes one command line and returns its output: the trace of what
// happened, then the command's own report.
func (s *Script) Run(cmd string) (string, error) {
	s.out = nil
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return "", fmt.Errorf("empty command")
	}
	a := parseArgs(fields[1:])
	if fields[0] != "cluster" && s.c == nil {
		return "", fmt.Errorf("no cluster yet")
	}
	if err := s.run(fields[0], fields[1:], a); err != nil {
		return "", err
	}
	if s.c != nil && s.c.Err != nil {
		return "", fmt.Errorf("invariant violated: %w", s.c.Err)
	}
	return strings.Join(s.out, "\n"), nil
}

func (s *Script) run(name string, raw []string, a args) error {
	c := s.c
	switch name {
	case "cluster":
		v, err := a.int("voters", 3)
		if err != nil {
			return err
		}
		o, err := a.int("observers", 0)
		if err != nil {
			return err
		}
		var c *Cluster
		c, err = NewCluster(Options{Voters: v, Observers: o, Seed: 1, Trace: func(l string) {
			if c == nil {
				s.printf("t=0 %s", l)
				return
			}
			s.printf("t=%d %s", c.Ticks(), l)
		}})
		if err != nil {
			return err
		}
		s.c = c
	case "run":
		n, err := a.int("ticks", 1)
		if err != nil {
			return err
		}
		c.RunTicks(n)
	case "stable":
		for i := 0; i < 300 && c.Err == nil; i++ {
			c.RunTicks(1)
			l := c.Leader()
			if l == 0 {
				continue
			}
			all := true
			for _, id := range c.Members() {
				if st := c.Status(id); c.Up(id) && id != l && !st.Synced {
					all = false
				}
			}
			if all {
				s.printf("stable: leader %d epoch %d", l, c.Status(l).CurrentEpoch)
				return nil
			}
		}
		s.printf("not stable after 300 ticks")
	case "propose":
		n, err := a.int("n", 1)
		if err != nil {
			return err
		}
		at, err := a.id("at")
		if err != nil {
			return err
		}
		if at == 0 {
			at = c.Leader()
		}
		for i := 0; i < n; i++ {
			z, err := c.Propose(at, []byte(fmt.Sprintf("txn%d", c.Proposals+1)))
			if err != nil {
				s.printf("propose at %d: %v", at, err)
				break
			}
			s.printf("proposed %s at %d", z, at)
		}
	case "partition":
		var groups [][]zab.ServerID
		for _, g := range strings.Split(strings.Join(raw, " "), "|") {
			ids, err := parseIDs(g)
			if err != nil {
				return err
			}
			groups = append(groups, ids)
		}
		c.Partition(groups...)
	case "block":
		from, err := a.id("from")
		if err != nil {
			return err
		}
		to, err := a.id("to")
		if err != nil {
			return err
		}
		c.Block(from, to)
	case "heal":
		c.Heal()
	case "crash":
		id, err := a.id("id")
		if err != nil {
			return err
		}
		keep, err := a.int("keep", 0)
		if err != nil {
			return err
		}
		c.crash(c.byID[id], keep, a["keephs"] == "true")
	case "restart":
		id, err := a.id("id")
		if err != nil {
			return err
		}
		return c.Restart(id)
	case "stall":
		id, err := a.id("id")
		if err != nil {
			return err
		}
		if on, ok := a["on"]; ok {
			ts, err := parseTypes(on)
			if err != nil {
				return err
			}
			for t := range ts {
				c.StallOn(id, t)
			}
			return nil
		}
		c.Stall(id)
	case "resume":
		id, err := a.id("id")
		if err != nil {
			return err
		}
		c.Resume(id)
	case "drop", "hold":
		f := &Filter{Hold: name == "hold"}
		var err error
		if f.From, err = a.id("from"); err != nil {
			return err
		}
		if f.To, err = a.id("to"); err != nil {
			return err
		}
		if t, ok := a["types"]; ok {
			if f.Types, err = parseTypes(t); err != nil {
				return err
			}
		}
		if t, ok := a["after"]; ok {
			ts, err := parseTypes(t)
			if err != nil {
				return err
			}
			for t := range ts {
				f.After = t
			}
		}
		c.filters = append(c.filters, f)
	case "release":
		held := c.heldMsgs
		c.filters, c.heldMsgs = nil, nil
		s.printf("released %d messages", len(held))
		for _, m := range held {
			c.send(m)
		}
	case "trace":
		if a["types"] == "" || a["off"] == "true" {
			c.opts.TraceTypes = nil
			return nil
		}
		ts, err := parseTypes(a["types"])
		if err != nil {
			return err
		}
		c.opts.TraceTypes = ts
	case "status":
		for _, id := range c.Members() {
			s.printf("%s", c.describe(id))
		}
	case "log":
		ids := c.Members()
		if v, ok := a["id"]; ok {
			var err error
			if ids, err = parseIDs(v); err != nil {
				return err
			}
		}
		for _, id := range ids {
			s.printf("%s", c.describeLog(id))
		}
	case "compact":
		id, err := a.id("id")
		if err != nil {
			return err
		}
		return c.Compact(id)
	case "reconfig":
		var next zab.Membership
		for _, k := range []string{"voters", "observers"} {
			var ids []zab.ServerID
			if v := a[k]; v != "" {
				var err error
				if ids, err = parseIDs(v); err != nil {
					return err
				}
			}
			if k == "voters" {
				next.Voters = ids
			} else {
				next.Observers = ids
			}
		}
		at, err := a.id("at")
		if err != nil {
			return err
		}
		if at == 0 {
			at = c.Leader()
		}
		z, err := c.ProposeConfig(at, next)
		if err != nil {
			s.printf("reconfig at %d: %v", at, err)
			return nil
		}
		s.printf("proposed config %s at %d", z, at)
		for _, id := range append(next.Voters, next.Observers...) {
			if c.byID[id] == nil {
				if id != c.NextID() {
					return fmt.Errorf("a new member must be %d, the next id", c.NextID())
				}
				if _, err := c.AddMember(next); err != nil {
					return err
				}
			}
		}
	case "members":
		for _, id := range c.Members() {
			if !c.Up(id) {
				s.printf("%d: down", id)
				continue
			}
			st := c.Status(id)
			pending := ""
			if st.ConfigPending {
				pending = " (pending)"
			}
			s.printf("%d: %s %s at %s%s", id, st.Role, st.Membership, st.ConfigZxid, pending)
		}
	case "check":
		s.printf("committed history: %d txns", c.check.Committed())
	default:
		return fmt.Errorf("unknown command %q", name)
	}
	return nil
}

// describe prints one member's state on one line.
func (c *Cluster) describe(id zab.ServerID) string {
	m := c.byID[id]
	if !m.up {
		return fmt.Sprintf("%d: down", id)
	}
	s := m.zn.Status()
	var b strings.Builder
	fmt.Fprintf(&b, "%d: %s", id, s.Role)
	if s.Role != zab.RoleLooking {
		fmt.Fprintf(&b, " leader=%d", s.Leader)
	}
	if s.Established {
		b.WriteString(" established")
	}
	if s.Synced {
		b.WriteString(" synced")
	}
	fmt.Fprintf(&b, " epoch=%d/%d last=%s commit=%s applied=%s", s.AcceptedEpoch, s.CurrentEpoch, s.LastZxid, s.Committed, s.Applied)
	return b.String()
}

// describeLog prints a member's durable and live logs.
func (c *Cluster) describeLog(id zab.ServerID) string {
	m := c.byID[id]
	f := func(st *zab.MemoryStorage) string {
		snap, zs := Zxids(st)
		hs, _ := st.HardState()
		parts := []string{fmt.Sprintf("epoch=%d/%d", hs.AcceptedEpoch, hs.CurrentEpoch)}
		if snap != 0 {
			parts = append(parts, "snap="+snap.String())
		}
		for _, z := range zs {
			parts = append(parts, z.String())
		}
		return strings.Join(parts, " ")
	}
	out := fmt.Sprintf("%d durable: %s", id, f(m.disk.durable))
	if m.disk.Unsynced() {
		out += fmt.Sprintf("\n%d unsynced: %s", id, f(m.disk.live))
	}
	return out
}

var typeNames = func() map[string]zab.MessageType {
	out := map[string]zab.MessageType{}
	for t := zab.MsgVote; t <= zab.MsgApp; t++ {
		out[t.String()] = t
	}
	return out
}()

// parseTypes parses a comma-separated list of message type names.
func parseTypes(s string) (map[zab.MessageType]bool, error) {
	out := map[zab.MessageType]bool{}
	for _, name := range strings.Split(s, ",") {
		t, ok := typeNames[strings.ToUpper(name)]
		if !ok {
			return nil, fmt.Errorf("unknown message type %q", name)
		}
		out[t] = true
	}
	return out, nil
}
