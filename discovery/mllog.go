package discovery

import (
	"strings"

	"github.com/rs/zerolog"
)

// mlLog receives memberlist's log lines ("[LEVEL] memberlist: text") and
// writes them to zerolog at the matching level. memberlist tells of a member
// its prober suspects only in its log, so mlLog also passes those names to
// onSuspect.
type mlLog struct {
	log       zerolog.Logger
	onSuspect func(name string)
}

const (
	suspectPrefix = "Suspect "
	suspectSuffix = " has failed, no acks received"
)

// Write handles one log line. It never fails.
func (w mlLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := zerolog.InfoLevel
	if strings.HasPrefix(line, "[") {
		if end := strings.IndexByte(line, ']'); end > 0 {
			switch line[1:end] {
			case "DEBUG":
				level = zerolog.DebugLevel
			case "INFO":
				level = zerolog.DebugLevel // discovery logs the transitions itself
			case "WARN":
				level = zerolog.WarnLevel
			case "ERR", "ERROR":
				level = zerolog.ErrorLevel
			}
			line = strings.TrimSpace(line[end+1:])
		}
	}
	line = strings.TrimPrefix(line, "memberlist: ")
	if rest, ok := strings.CutPrefix(line, suspectPrefix); ok {
		if name, ok := strings.CutSuffix(rest, suspectSuffix); ok && w.onSuspect != nil {
			w.onSuspect(name)
		}
	}
	if strings.HasPrefix(line, "ignoring alive message for") {
		// Our refusals, already logged once by the table.
		level = zerolog.DebugLevel
	}
	w.log.WithLevel(level).Str("component", "memberlist").Msg(line)
	return len(p), nil
}
