//go:build !noduckdb

package cli

import "github.com/spf13/cobra"

// sqlCommands are the commands that need DuckDB (cgo); the noduckdb build
// tag leaves them out, for a static binary such as the Lambda function's.
func sqlCommands(s Streams) []*cobra.Command { return []*cobra.Command{newQueryCmd(s)} }
