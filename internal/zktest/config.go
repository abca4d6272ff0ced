package zktest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// memberPorts are the loopback ports of one ensemble member.
type memberPorts struct {
	client, quorum, election int
	// xds is zkmesh's xDS (ADS) port; unused for Apache.
	xds int
}

// zooCfg renders the zoo.cfg of member id (1-based) of an ensemble whose
// ports are all. Keys only zkmesh reads as zoo.cfg keys (Apache takes them as
// JVM properties) are added when zkmesh is true.
func zooCfg(o Options, id int, dataDir string, all []memberPorts, zkmesh bool) string {
	var b strings.Builder
	p := all[id-1]
	fmt.Fprintf(&b, "tickTime=%d\n", o.TickTimeMs)
	fmt.Fprintf(&b, "initLimit=%d\nsyncLimit=%d\n", o.InitLimitTicks, o.SyncLimitTicks)
	fmt.Fprintf(&b, "dataDir=%s\n", dataDir)
	fmt.Fprintf(&b, "clientPort=%d\n", p.client)
	fmt.Fprintf(&b, "clientPortAddress=127.0.0.1\n")
	fmt.Fprintf(&b, "maxClientCnxns=%d\n", o.MaxClientCnxns)
	fmt.Fprintf(&b, "4lw.commands.whitelist=*\n")
	fmt.Fprintf(&b, "admin.enableServer=false\n")
	if o.MinSessionTimeoutMs > 0 {
		fmt.Fprintf(&b, "minSessionTimeout=%d\n", o.MinSessionTimeoutMs)
	}
	if o.MaxSessionTimeoutMs > 0 {
		fmt.Fprintf(&b, "maxSessionTimeout=%d\n", o.MaxSessionTimeoutMs)
	}
	if o.ExtendedTypes {
		fmt.Fprintf(&b, "extendedTypesEnabled=true\n")
	}
	if o.SuperDigest != "" {
		fmt.Fprintf(&b, "DigestAuthenticationProvider.superDigest=%s\n", o.SuperDigest)
	}
	if zkmesh && p.xds != 0 {
		// Each zkmesh also serves xDS; give every one its own port so
		// that servers started side by side do not collide on the default.
		fmt.Fprintf(&b, "xds.address=127.0.0.1:%d\n", p.xds)
	}
	if zkmesh && o.ContainerCheckIntervalMs > 0 {
		fmt.Fprintf(&b, "znode.container.checkIntervalMs=%d\n", o.ContainerCheckIntervalMs)
	}
	keys := make([]string, 0, len(o.Extra))
	for k := range o.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, o.Extra[k])
	}
	if len(all) > 1 {
		firstObserver := len(all) - o.Observers + 1
		if id >= firstObserver {
			fmt.Fprintf(&b, "peerType=observer\n")
		}
		for i, m := range all {
			role := "participant"
			if i+1 >= firstObserver {
				role = "observer"
			}
			fmt.Fprintf(&b, "server.%d=127.0.0.1:%d:%d:%s\n", i+1, m.quorum, m.election, role)
		}
	}
	return b.String()
}

// writeMember creates dir/data with myid and dir/zoo.cfg, returning the
// config path and the data directory.
func writeMember(dir string, o Options, id int, all []memberPorts, zkmesh bool) (cfgPath, dataDir string, err error) {
	dataDir = filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(dataDir, "myid"), []byte(fmt.Sprintf("%d\n", id)), 0o644); err != nil {
		return "", "", err
	}
	cfgPath = filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(zooCfg(o, id, dataDir, all, zkmesh)), 0o644); err != nil {
		return "", "", err
	}
	return cfgPath, dataDir, nil
}
