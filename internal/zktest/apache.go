package zktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Where Debian puts Apache ZooKeeper 3.8.0. The jar's manifest carries the
// rest of its classpath.
const (
	apacheJar     = "/usr/share/java/zookeeper.jar"
	apacheMain    = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
	apacheConfDir = "/etc/zookeeper/conf"
)

// log4jConfig sends ZooKeeper's log to the console, which the Server
// captures in its LogPath.
const log4jConfig = `log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n
`

// log4jJars bind ZooKeeper's slf4j logging to log4j, so that its log
// reaches the Server's LogPath; without them Debian's ZooKeeper logs
// nothing.
var log4jJars = []string{"/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"}

func apacheClasspath() string {
	cp := apacheConfDir + ":" + apacheJar
	for _, j := range log4jJars {
		if _, err := os.Stat(j); err == nil {
			cp += ":" + j
		}
	}
	return cp
}

// ApacheAvailable reports whether java and the ZooKeeper jar are installed,
// and if not, why.
func ApacheAvailable() (bool, string) {
	if _, err := exec.LookPath("java"); err != nil {
		return false, "java not on PATH (apt-get install zookeeper)"
	}
	if _, err := os.Stat(apacheJar); err != nil {
		return false, apacheJar + " missing (apt-get install zookeeper)"
	}
	return true, ""
}

// RequireApache skips the test when Apache ZooKeeper is not installed, or
// fails it when ZKMESH_REQUIRE_ORACLE=1.
func RequireApache(t testing.TB) {
	t.Helper()
	if ok, why := ApacheAvailable(); !ok {
		if oracleRequired() {
			t.Fatalf("zktest: Apache ZooKeeper oracle required (ZKMESH_REQUIRE_ORACLE=1): %s", why)
		}
		t.Skipf("zktest: Apache ZooKeeper oracle not available: %s", why)
	}
}

// StartApacheZK starts Apache ZooKeeper 3.8 (Debian's) with o: o.Members
// processes with their own dataDir and myid, all on loopback. It returns
// member 1 once every member serves requests; the others are in Members.
// Every member is killed when the test ends. It skips the test when
// ZooKeeper is not installed (see RequireApache).
func StartApacheZK(t testing.TB, o Options) *Server {
	t.Helper()
	RequireApache(t)
	return startEnsemble(t, KindApache, o, func(id int, cfgPath, dir string) []string {
		log4j := filepath.Join(dir, "log4j.properties")
		if err := os.WriteFile(log4j, []byte(log4jConfig), 0o644); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		argv := []string{
			"java",
			"-cp", apacheClasspath(),
			"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
			"-Dfile.encoding=UTF-8",
			"-Dzookeeper.log.dir=" + dir,
			"-Dlog4j.configuration=file:" + log4j,
			"-Dzookeeper.admin.enableServer=false",
		}
		if o.ContainerCheckIntervalMs > 0 {
			argv = append(argv, fmt.Sprintf("-Dznode.container.checkIntervalMs=%d", o.ContainerCheckIntervalMs))
		}
		return append(argv, apacheMain, cfgPath)
	})
}
