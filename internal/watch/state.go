package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// State is what watch remembers between runs, in one JSON file written
// atomically (a new file, synced, renamed over the old one): per listed
// prefix a checkpoint, and the keys of what was already reported.
type State struct {
	Version int `json:"version"`
	// Prefixes are checkpoints by prefix URL (s3://bucket/AWSLogs/…/REGION/).
	Prefixes map[string]*Checkpoint `json:"prefixes"`
	// Sent holds the dedupe keys of alarm transitions, notifications and
	// deliveries already reported, with when; kept for the dedupe window.
	Sent map[string]time.Time `json:"sent"`
}

// Checkpoint says how far a prefix was processed: After is the greatest key
// processed (S3 ListObjectsV2's StartAfter). Objects can land late, with a
// key that sorts before After, so listing starts a lookback before After's
// delivery time and Recent names the keys already processed since then.
type Checkpoint struct {
	After  string               `json:"after"`
	Recent map[string]time.Time `json:"recent,omitempty"`
}

const stateVersion = 1

// LoadState reads the state file; a missing file is an empty state.
func LoadState(path string) (*State, error) {
	s := &State{Version: stateVersion, Prefixes: map[string]*Checkpoint{}, Sent: map[string]time.Time{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("read state %s: not a trailwatch state file: %w", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("read state %s: version %d, this trailwatch reads version %d", path, s.Version, stateVersion)
	}
	if s.Prefixes == nil {
		s.Prefixes = map[string]*Checkpoint{}
	}
	if s.Sent == nil {
		s.Sent = map[string]time.Time{}
	}
	return s, nil
}

// Save writes the state to path atomically: after a crash the file is the
// old state or the new one, never a mix.
func (s *State) Save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save state %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save state %s: %w", path, err)
	}
	// The rename is durable once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// seen reports whether key was already reported.
func (s *State) seen(key string) bool {
	_, ok := s.Sent[key]
	return ok
}

// mark records key as reported at t.
func (s *State) mark(key string, t time.Time) { s.Sent[key] = t }

// prune forgets dedupe keys older than window before now.
func (s *State) prune(now time.Time, window time.Duration) {
	for k, t := range s.Sent {
		if now.Sub(t) > window {
			delete(s.Sent, k)
		}
	}
}
