package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/zkmesh/zkmesh/sidecar"
)

// runFlags maps each flag of `zkmesh run` to the zoo.cfg key it overrides.
// --client-addr sets two keys and is handled apart.
var runFlags = []struct {
	name, key, help string
}{
	{"data-dir", "dataDir", "data directory (zoo.cfg dataDir; default ./zkmesh-data)"},
	{"xds-addr", "xds.address", "xDS gRPC listen address (zoo.cfg xds.address; default 127.0.0.1:18000)"},
	{"gossip-addr", "gossip.address", "gossip (memberlist) bind address IP:PORT, UDP and TCP (zoo.cfg gossip.address; default: no gossip, or 0.0.0.0:7946 with --join)"},
	{"join", "gossip.seeds", "gossip seeds HOST:PORT[,HOST:PORT...] to join through (zoo.cfg gossip.seeds); turns gossip on"},
	{"bootstrap-expect", "bootstrap.expect", "with no server lines: form the first voters once this many candidates (this one included) see each other through gossip, none holding data (zoo.cfg bootstrap.expect)"},
	{"peer-addr", "join.peerAddress", "with --join and no server lines: this member's peer address HOST:PORT (zoo.cfg join.peerAddress; default <gossip host>:2888)"},
	{"election-addr", "join.electionAddress", "with --join and no server lines: this member's election address HOST:PORT (zoo.cfg join.electionAddress; default <gossip host>:3888)"},
	{"gossip-key-file", "gossip.keyFile", "file holding the shared gossip encryption key, 16/24/32 bytes raw or base64 (zoo.cfg gossip.keyFile)"},
	{"zone", "zone", "failure zone of this host, advertised over gossip (zoo.cfg zone)"},
	{"region", "region", "region of this host, advertised over gossip (zoo.cfg region)"},
	{"log-format", "log.format", "json or console (zoo.cfg log.format; default: console on a terminal, else json)"},
	{"log-level", "log.level", "trace, debug, info, warn or error (zoo.cfg log.level; default info)"},
}

// parseRunArgs turns the arguments of `zkmesh run` into the config file
// path and the overrides of the flags that were given. A flag left out
// keeps the file's (or the default) value. The error wraps errUsage.
func parseRunArgs(args []string, stderr io.Writer) (path string, overrides []sidecar.Override, err error) {
	fs := flag.NewFlagSet("zkmesh run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&path, "config", "", "zoo.cfg to read (Apache ZooKeeper format plus zkmesh keys); default: built-in defaults")
	fs.String("client-addr", "", "ZooKeeper client listen address HOST:PORT (zoo.cfg clientPortAddress and clientPort; default 127.0.0.1:2181)")
	for _, f := range runFlags {
		fs.String(f.name, "", f.help)
	}
	fs.Usage = func() {
		c, _ := lookup("run")
		commandUsage(fs.Output(), c)
		fmt.Fprintln(fs.Output(), "\nFlags (they override the config file):")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return "", nil, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		origin := "flag --" + f.Name
		v := f.Value.String()
		switch f.Name {
		case "config":
		case "client-addr":
			host, port, serr := net.SplitHostPort(v)
			if serr != nil || host == "" {
				err = fmt.Errorf("%w: --client-addr %q: want HOST:PORT, e.g. 127.0.0.1:2181", errUsage, v)
				return
			}
			overrides = append(overrides,
				sidecar.Override{Key: "clientPortAddress", Value: host, Origin: origin},
				sidecar.Override{Key: "clientPort", Value: port, Origin: origin})
		default:
			for _, rf := range runFlags {
				if rf.name == f.Name {
					overrides = append(overrides, sidecar.Override{Key: rf.key, Value: v, Origin: origin})
				}
			}
		}
	})
	if err != nil {
		return "", nil, err
	}
	return path, overrides, nil
}

// readiness is what the server may offer to report that it serves.
type readiness interface {
	Ready() <-chan struct{}
	Addr() net.Addr
}

// runCommand is `zkmesh run`: it loads the configuration, starts the
// server and serves until ctx is cancelled (SIGINT, SIGTERM), then shuts
// down cleanly.
func runCommand(ctx context.Context, e *env, args []string) int {
	path, overrides, err := parseRunArgs(args, e.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintf(e.stderr, "zkmesh run: %v\n", err)
		fmt.Fprintln(e.stderr, "Run 'zkmesh help run' for usage.")
		return exitUsage
	}
	cfg, err := sidecar.LoadZooCfg(path, overrides...)
	if err != nil {
		fmt.Fprintf(e.stderr, "zkmesh run: %v\n", err)
		return exitFailure
	}
	log, err := sidecar.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(e.stderr, "zkmesh run: %v\n", err)
		return exitFailure
	}
	for _, w := range cfg.Warnings {
		log.Warn().Msg(w)
	}
	mode := "standalone"
	serverID := uint64(cfg.ServerID)
	switch {
	case cfg.Bootstrapping():
		mode, serverID = "bootstrapping", 0 // the id comes from the bootstrap
	case cfg.Joining():
		mode, serverID = "joining", 0 // the id comes from dataDir or from the fleet
	case !cfg.Standalone():
		mode = cfg.Role().String()
	}
	log.Info().
		Str("version", sidecar.Version).
		Str("commit", sidecar.Commit()).
		Str("config", path).
		Str("client_addr", cfg.ClientAddr()).
		Str("data_dir", cfg.DataDir).
		Uint64("server_id", serverID).
		Str("mode", mode).
		Str("xds_addr", cfg.XDSAddress).
		Str("gossip_addr", gossipAddrForLog(cfg)).
		Msg("zkmesh starting")
	srv, err := sidecar.New(cfg, log)
	if err != nil {
		log.Error().Err(err).Msg("zkmesh cannot start")
		return exitFailure
	}
	// The server may say when it serves clients, and on which address (the
	// port is the system's pick when --client-addr ends in :0).
	if r, ok := any(srv).(readiness); ok {
		go func() {
			select {
			case <-r.Ready():
				ev := log.Info().Str("client_addr", r.Addr().String())
				if g := srv.GossipAddr(); g != "" {
					ev = ev.Str("gossip_addr", g)
				}
				if a := srv.AdminAddr(); a != nil {
					ev = ev.Str("admin_addr", a.String())
				}
				ev.Msg("zkmesh ready")
			case <-ctx.Done():
			}
		}()
	}
	if err := srv.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error().Err(err).Msg("zkmesh stopped on an error")
		return exitFailure
	}
	log.Info().Msg("zkmesh stopped")
	return exitOK
}

// gossipAddrForLog is the gossip bind address, or "" when gossip is off.
func gossipAddrForLog(cfg *sidecar.Config) string {
	if !cfg.GossipEnabled() {
		return ""
	}
	return cfg.GossipBindAddr()
}
