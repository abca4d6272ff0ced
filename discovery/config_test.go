package discovery

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigValid(t *testing.T) {
	c := DefaultConfig()
	c.NodeName = "host-1"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Timing = FastTiming()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesField(t *testing.T) {
	cases := map[string]func(*Config){
		"NodeName":                       func(c *Config) { c.NodeName = "" },
		"NodeName ":                      func(c *Config) { c.NodeName = "a b" },
		"BindAddr":                       func(c *Config) { c.BindAddr = "localhost:7946" },
		"AdvertiseAddr":                  func(c *Config) { c.AdvertiseAddr = "10.0.0.1" },
		"Seeds[1]":                       func(c *Config) { c.Seeds = []string{"10.0.0.1", " "} },
		"Timing.ProbeInterval":           func(c *Config) { c.Timing.ProbeInterval = 0 },
		"Timing.ProbeTimeout":            func(c *Config) { c.Timing.ProbeTimeout = 2 * c.Timing.ProbeInterval },
		"Timing.SuspicionMult":           func(c *Config) { c.Timing.SuspicionMult = 0 },
		"Timing.SuspicionMaxTimeoutMult": func(c *Config) { c.Timing.SuspicionMaxTimeoutMult = 0 },
		"Timing.GossipInterval":          func(c *Config) { c.Timing.GossipInterval = 0 },
		"Timing.PushPullInterval":        func(c *Config) { c.Timing.PushPullInterval = -1 },
		"Timing.StreamTimeout":           func(c *Config) { c.Timing.StreamTimeout = 0 },
		"Timing.GossipToTheDead":         func(c *Config) { c.Timing.GossipToTheDead = 0 },
		"Timing.AwarenessMaxMultiplier":  func(c *Config) { c.Timing.AwarenessMaxMultiplier = 0 },
		"MetaUpdateInterval":             func(c *Config) { c.MetaUpdateInterval = 0 },
		"EventQueue":                     func(c *Config) { c.EventQueue = 0 },
		"Meta":                           func(c *Config) { c.Meta.Role = 0 },
	}
	for field, breakIt := range cases {
		c := DefaultConfig()
		c.NodeName = "host-1"
		breakIt(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), strings.TrimSpace(field)+":") {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

// TestDetectionTimes pins the computed failure detection times of both
// profiles for a fleet of 6, which the package doc and report quote.
func TestDetectionTimes(t *testing.T) {
	lan, fast := LANTiming(), FastTiming()
	checks := []struct {
		name      string
		got, want time.Duration
	}{
		{"LAN suspicion", lan.SuspicionTimeout(6), 4 * time.Second},
		{"LAN min", lan.DeadDetectionMin(6), 5 * time.Second},
		{"LAN bound", lan.DeadDetectionBound(6), 6*time.Second + 24*time.Second + 2*time.Second},
		{"fast suspicion", fast.SuspicionTimeout(6), 2 * time.Second},
		{"fast min", fast.DeadDetectionMin(6), 2500 * time.Millisecond},
		{"fast bound", fast.DeadDetectionBound(6), 3*time.Second + 6*time.Second + 500*time.Millisecond},
		{"LAN suspicion 100", lan.SuspicionTimeout(100), 8 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
