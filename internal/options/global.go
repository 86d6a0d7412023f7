package options

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/machnix/machnix/fetch"
	"github.com/machnix/machnix/pipeline"
)

// Global are the flags every command takes.
type Global struct {
	Config  string
	Timeout time.Duration
}

// AddGlobalFlags adds them to the root command, for every subcommand.
func AddGlobalFlags(root *cobra.Command, g *Global) {
	f := root.PersistentFlags()
	f.StringVar(&g.Config, "config", "", "project file with [sonames], [providers] and [overrides.<pkg>] tables (default: ./machnix.toml when present)")
	f.DurationVar(&g.Timeout, "timeout", fetch.DefaultTimeout, "fail a network request that receives nothing for this long (e.g. 90s, 2m); it is retried once or more first; 0 waits for ever")
}

// Check refuses values no command can use.
func (g *Global) Check() error {
	if g.Timeout < 0 {
		return fmt.Errorf("--timeout %s: give a duration of 0 or more, such as 30s", g.Timeout)
	}
	return nil
}

// NetTimeout is --timeout as the pipeline takes it, where 0 means the
// default and a negative value no timeout.
func (g *Global) NetTimeout() time.Duration {
	if g.Timeout == 0 {
		return -1
	}
	return g.Timeout
}

// LoadConfig reads --config, or ./machnix.toml when present.
func (g *Global) LoadConfig() (*pipeline.Config, error) { return pipeline.LoadConfig(g.Config) }
