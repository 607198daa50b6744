package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	builtin "github.com/trailwatch/trailwatch/rules"
)

// Pack describes a built-in rule pack.
type Pack struct {
	Name        string
	Description string
	Filters     int
	Alarms      int
}

// Packs lists the built-in packs, sorted by name.
func Packs() ([]Pack, error) {
	fsys := builtin.FS()
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	sort.Strings(names)
	var out []Pack
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".yaml")
		s, err := LoadPack(name, LoadOptions{})
		if err != nil {
			return nil, err
		}
		data, _ := fs.ReadFile(fsys, n)
		_, desc := describe(data)
		out = append(out, Pack{Name: name, Description: desc,
			Filters: len(s.MetricFilters) + len(s.SubscriptionFilters), Alarms: len(s.Alarms)})
	}
	return out, nil
}

// PackSource returns the YAML of a built-in pack.
func PackSource(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, fmt.Errorf("pack %q: no such pack", name)
	}
	data, err := fs.ReadFile(builtin.FS(), name+".yaml")
	if errors.Is(err, fs.ErrNotExist) {
		var names []string
		if ps, _ := fs.Glob(builtin.FS(), "*.yaml"); ps != nil {
			for _, p := range ps {
				names = append(names, strings.TrimSuffix(p, ".yaml"))
			}
		}
		return nil, fmt.Errorf("pack %q: no such pack (built-in packs: %s)", name, strings.Join(names, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", name, err)
	}
	return data, nil
}

// LoadPack loads a built-in pack; its rules' origin is "pack:NAME".
func LoadPack(name string, opts LoadOptions) (*Set, error) {
	data, err := PackSource(name)
	if err != nil {
		return nil, err
	}
	return Load("pack:"+name, data, opts)
}
