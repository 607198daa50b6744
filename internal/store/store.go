// Package store keeps CloudTrail (and S3 server access log) records as
// Parquet files in a Hive-partitioned directory tree, with the columns of
// AWS's Athena tables, so that SQL engines query them directly.
//
// Layout of a store directory:
//
//	manifest.json                        the committed ingests: inputs and files
//	cloudtrail/account=A/region=R/date=D/<run>-<n>.parquet
//	.tmp/                                files of an ingest not committed yet
//
// An ingest writes its files under .tmp and commits by renaming them into
// place and then replacing manifest.json atomically. Readers (query) see
// only the files the manifest lists, so an interrupted ingest is never
// half visible; its leftovers are removed by the next ingest. Inputs the
// manifest already holds (same size and SHA-256) are skipped, so
// re-ingesting the same files adds nothing.
package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Table names: directories of the store and SQL table names.
const (
	TableCloudTrail = "cloudtrail"
	TableS3Access   = "s3_access_logs"
)

// FormatVersion is the store format this package writes and reads. 2:
// the cloudtrail table's actorkey column and one actors row per key (1 had
// one actors row per event).
const FormatVersion = 2

// Manifest is manifest.json: every committed ingest.
type Manifest struct {
	Version int   `json:"version"`
	Runs    []Run `json:"runs"`
}

// Run is one committed ingest.
type Run struct {
	ID        string      `json:"id"`
	Committed time.Time   `json:"committed"`
	Inputs    []InputInfo `json:"inputs"`
	// Files are relative to the store directory, by table.
	Files map[string][]string `json:"files"`
	Rows  map[string]int      `json:"rows"`
}

// InputInfo identifies an ingested input.
type InputInfo struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Records int    `json:"records"`
}

// Store is an opened store directory.
type Store struct {
	Dir      string
	manifest Manifest
}

// Open opens (creating if needed) the store at dir and reads its manifest.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{Dir: dir, manifest: Manifest{Version: FormatVersion}}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	default:
		if err := json.Unmarshal(b, &s.manifest); err != nil {
			return nil, fmt.Errorf("open store %s: manifest.json: %w", dir, err)
		}
		if v := s.manifest.Version; v != FormatVersion && len(s.manifest.Runs) > 0 {
			return nil, fmt.Errorf("open store %s: it has format %d, this trailwatch reads format %d; ingest the logs again into a new directory", dir, v, FormatVersion)
		}
		s.manifest.Version = FormatVersion
	}
	return s, nil
}

// Files lists the committed files of a table, as paths.
func (s *Store) Files(table string) []string {
	var out []string
	for _, r := range s.manifest.Runs {
		for _, f := range r.Files[table] {
			out = append(out, filepath.Join(s.Dir, f))
		}
	}
	return out
}

// Runs returns the committed ingests.
func (s *Store) Runs() []Run { return slices.Clone(s.manifest.Runs) }

// Has reports whether an input with this size and content hash is already
// in the store.
func (s *Store) Has(size int64, sha string) bool {
	for _, r := range s.manifest.Runs {
		for _, in := range r.Inputs {
			if in.Size == size && in.SHA256 == sha {
				return true
			}
		}
	}
	return false
}

// HasSize reports whether any ingested input has this size: only then is
// hashing needed to know whether an input is new.
func (s *Store) HasSize(size int64) bool {
	for _, r := range s.manifest.Runs {
		for _, in := range r.Inputs {
			if in.Size == size {
				return true
			}
		}
	}
	return false
}

// HashFile returns the SHA-256 of a file, hex.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Begin starts an ingest run: it removes what interrupted runs left under
// .tmp and returns the run, whose files go to TempPath until Commit.
func (s *Store) Begin() (*Run, error) {
	tmp := filepath.Join(s.Dir, ".tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("clean %s: %w", tmp, err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	var b [6]byte
	rand.Read(b[:])
	id := time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
	return &Run{ID: id, Files: map[string][]string{}, Rows: map[string]int{}}, nil
}

// TempPath is where a run writes a file that will be committed as rel
// (relative to the store directory).
func (s *Store) TempPath(rel string) string {
	return filepath.Join(s.Dir, ".tmp", rel)
}

// Commit moves the run's files (added with Run.AddFile, written at
// TempPath) into place and records the run in the manifest, atomically for
// readers: they see the files only once the manifest names them.
func (s *Store) Commit(r *Run) error {
	if len(r.Inputs) == 0 && len(r.Files) == 0 {
		return os.RemoveAll(filepath.Join(s.Dir, ".tmp"))
	}
	for _, files := range r.Files {
		for _, rel := range files {
			dst := filepath.Join(s.Dir, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return fmt.Errorf("commit %s: %w", rel, err)
			}
			if err := os.Rename(s.TempPath(rel), dst); err != nil {
				return fmt.Errorf("commit %s: %w", rel, err)
			}
		}
	}
	r.Committed = time.Now().UTC()
	m := s.manifest
	m.Runs = append(slices.Clone(m.Runs), *r)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(s.Dir, "manifest.json"), b); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.manifest = m
	return os.RemoveAll(filepath.Join(s.Dir, ".tmp"))
}

// AddFile records a file of the run for table.
func (r *Run) AddFile(table, rel string, rows int) {
	r.Files[table] = append(r.Files[table], rel)
	r.Rows[table] += rows
}

// writeFileAtomic writes b to path through a synced temporary file and a
// rename, so readers see the old content or the new, never a mix.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
