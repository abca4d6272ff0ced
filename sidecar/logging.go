package sidecar

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// ErrLogSetting: NewLogger was given an unknown format or level.
var ErrLogSetting = errors.New("sidecar: bad log setting")

// NewLogger returns the daemon's logger writing to w. format is "json",
// "console" (human-readable), or "" to pick console when w is a terminal
// and JSON otherwise. level is a zerolog level name ("trace", "debug",
// "info", "warn", "error", "fatal", "panic", "disabled"); "" means info.
// Every record carries a timestamp. The logger does not own w.
func NewLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := parseLogLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	switch format {
	case "json":
	case "console":
		w = consoleWriter(w)
	case "":
		if isTerminal(w) {
			w = consoleWriter(w)
		}
	default:
		return zerolog.Nop(), fmt.Errorf("%w: log format %q: want json or console", ErrLogSetting, format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// parseLogLevel maps a level name to a zerolog level; "" is info.
func parseLogLevel(level string) (zerolog.Level, error) {
	if level == "" {
		return zerolog.InfoLevel, nil
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || lvl == zerolog.NoLevel {
		return zerolog.NoLevel, fmt.Errorf("%w: log level %q: want trace, debug, info, warn, error, fatal, panic or disabled", ErrLogSetting, level)
	}
	return lvl, nil
}

func consoleWriter(w io.Writer) io.Writer {
	return zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339Nano, NoColor: !isTerminal(w)}
}

// isTerminal reports whether w is a file descriptor attached to a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
