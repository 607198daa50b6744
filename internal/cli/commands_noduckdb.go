//go:build noduckdb

package cli

import "github.com/spf13/cobra"

// sqlCommands is empty without DuckDB (built with -tags noduckdb).
func sqlCommands(Streams) []*cobra.Command { return nil }
