// Package rules holds trailwatch's built-in rule packs: rules files in
// YAML, embedded in the binary. Package internal/rules loads them; run
// "trailwatch rules list" to see them.
package rules

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var packs embed.FS

// FS returns the packs, one NAME.yaml file each.
func FS() fs.FS { return packs }
