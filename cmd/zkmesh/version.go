package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/zkmesh/zkmesh/sidecar"
)

// versionCommand prints what this binary is. The version and commit come
// from sidecar.Version and sidecar.GitCommit, which a release build sets
// with -ldflags "-X github.com/zkmesh/zkmesh/sidecar.Version=... -X github.com/zkmesh/zkmesh/sidecar.GitCommit=...".
func versionCommand(_ context.Context, e *env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintf(e.stderr, "zkmesh version: unexpected arguments %q\n", args)
		return exitUsage
	}
	commit := sidecar.Commit()
	if commit == "" {
		commit = "unknown (not embedded)"
	}
	fmt.Fprintf(e.stdout, "zkmesh %s\n", sidecar.Version)
	fmt.Fprintf(e.stdout, "git commit: %s\n", commit)
	fmt.Fprintf(e.stdout, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(e.stdout, "protocol: ZooKeeper 3.8 protocol (srvr reports %s)\n", sidecar.FullVersion())
	return exitOK
}
