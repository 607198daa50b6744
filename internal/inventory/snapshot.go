// Package inventory keeps point-in-time snapshots of principal and resource
// tags (collected from AWS or imported from files a user already has) and
// the tag changes CloudTrail records, and answers which value a tag had on
// an ARN at an event's time.
package inventory

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Resource is one ARN and all the tags it carried when the snapshot was
// taken (an empty map: known to carry none).
type Resource struct {
	ARN  string            `json:"arn"`
	Tags map[string]string `json:"tags"`
}

// Snapshot is one collection or import: what was known at TakenAt.
type Snapshot struct {
	ID      string    `json:"id"`
	TakenAt time.Time `json:"takenAt"`
	// Source says where it came from: "collect" or "import FILE".
	Source string `json:"source"`
	// Problems are the partial failures of a collection (a region or
	// service that could not be read); what was read is kept.
	Problems  []string   `json:"problems,omitempty"`
	Resources []Resource `json:"-"`
	// Count is len(Resources) as saved.
	Count int `json:"resources"`
}

// dirName is the folder of the store that holds the snapshots.
const dirName = "inventory"

// Dir is where snapshots live in a store.
func Dir(store string) string { return filepath.Join(store, dirName) }

// Save writes s into the store: DIR/inventory/ID.jsonl (one resource a
// line, each tag as {"key","value"} so SQL engines read it without a
// schema per key) and then DIR/inventory/ID.json, the header, whose
// presence commits the snapshot. Both are written through a temporary file
// and a rename, so a crash leaves no half snapshot visible. An empty ID is
// derived from the time and the content; saving the same content at the
// same time twice keeps one copy.
func Save(store string, s *Snapshot) error {
	dir := Dir(store)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	sort.Slice(s.Resources, func(i, j int) bool { return s.Resources[i].ARN < s.Resources[j].ARN })
	h := sha256.New()
	var body strings.Builder
	for _, r := range s.Resources {
		line, err := json.Marshal(resourceLine{ARN: r.ARN, Tags: tagList(r.Tags)})
		if err != nil {
			return fmt.Errorf("save snapshot: %w", err)
		}
		body.Write(line)
		body.WriteByte('\n')
	}
	h.Write([]byte(body.String()))
	if s.ID == "" {
		s.ID = s.TakenAt.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(h.Sum(nil))[:12]
	}
	s.Count = len(s.Resources)
	head, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, s.ID+".jsonl"), []byte(body.String())); err != nil {
		return fmt.Errorf("save snapshot %s: %w", s.ID, err)
	}
	if err := writeAtomic(filepath.Join(dir, s.ID+".json"), append(head, '\n')); err != nil {
		return fmt.Errorf("save snapshot %s: %w", s.ID, err)
	}
	return nil
}

// Tag is one tag in the saved form.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type resourceLine struct {
	ARN  string `json:"arn"`
	Tags []Tag  `json:"tags"`
}

func tagList(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// Files returns the header and resource files of the store's committed
// snapshots (for SQL engines that read them directly).
func Files(store string) (heads, bodies []string, err error) {
	heads, err = filepath.Glob(filepath.Join(Dir(store), "*.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("list inventory: %w", err)
	}
	sort.Strings(heads)
	for _, h := range heads {
		bodies = append(bodies, strings.TrimSuffix(h, ".json")+".jsonl")
	}
	return heads, bodies, nil
}

// Load reads every committed snapshot of the store, oldest first. A store
// without an inventory has none (no error).
func Load(store string) ([]*Snapshot, error) {
	dir := Dir(store)
	heads, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	var out []*Snapshot
	for _, hp := range heads {
		s, err := loadOne(hp)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].TakenAt.Equal(out[j].TakenAt) {
			return out[i].TakenAt.Before(out[j].TakenAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func loadOne(headPath string) (*Snapshot, error) {
	b, err := os.ReadFile(headPath)
	if err != nil {
		return nil, fmt.Errorf("load inventory %s: %w", headPath, err)
	}
	s := &Snapshot{}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("load inventory %s: %w", headPath, err)
	}
	body := strings.TrimSuffix(headPath, ".json") + ".jsonl"
	f, err := os.Open(body)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load inventory %s: the snapshot's resources (%s) are missing", headPath, filepath.Base(body))
	}
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		var rl resourceLine
		if err := json.Unmarshal(sc.Bytes(), &rl); err != nil {
			return nil, fmt.Errorf("load inventory %s: line %d: %w", body, n, err)
		}
		tags := make(map[string]string, len(rl.Tags))
		for _, t := range rl.Tags {
			tags[t.Key] = t.Value
		}
		s.Resources = append(s.Resources, Resource{ARN: rl.ARN, Tags: tags})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("load inventory %s: %w", body, err)
	}
	return s, nil
}
