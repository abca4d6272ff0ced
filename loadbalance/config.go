package loadbalance

import (
	"fmt"
	"strings"
)

// Config says where the layouts whose location varies live. Dubbo
// (/dubbo) and zkmesh (/zkmesh/services) records are always at their fixed
// roots.
type Config struct {
	// KafkaChroot is the chroot Kafka's zookeeper.connect names ("" for
	// none, "/kafka" for host:2181/kafka). Brokers are read from
	// <KafkaChroot>/brokers/ids/<id> and the controller from
	// <KafkaChroot>/controller.
	KafkaChroot string
	// CuratorBasePath is the basePath given to Curator's
	// ServiceDiscoveryBuilder; instances are <CuratorBasePath>/<name>/<id>.
	CuratorBasePath string
}

// DefaultConfig returns the usual locations: Kafka at the root, Curator
// under /services.
func DefaultConfig() Config {
	return Config{CuratorBasePath: curatorRoot}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.KafkaChroot != "" && !cleanAbs(c.KafkaChroot) {
		return fmt.Errorf("%w: KafkaChroot %q is not an absolute path without a trailing slash", ErrConfig, c.KafkaChroot)
	}
	if !cleanAbs(c.CuratorBasePath) {
		return fmt.Errorf("%w: CuratorBasePath %q is not an absolute path without a trailing slash", ErrConfig, c.CuratorBasePath)
	}
	for _, fixed := range []string{dubboRoot, zkmeshRoot} {
		if under(c.CuratorBasePath, fixed) || under(fixed, c.CuratorBasePath) {
			return fmt.Errorf("%w: CuratorBasePath %q overlaps %s", ErrConfig, c.CuratorBasePath, fixed)
		}
	}
	return nil
}

func cleanAbs(p string) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' || strings.Contains(p, "//") {
		return false
	}
	return true
}

// under reports whether p is root or lies below it.
func under(p, root string) bool {
	return p == root || strings.HasPrefix(p, root+"/")
}
