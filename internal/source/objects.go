package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Object is one object of a Bucket.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Bucket lists and reads objects by key, the way S3 does: an S3 bucket or a
// local directory that stands in for one (keys are slash-separated paths
// relative to it).
type Bucket interface {
	// URL names an object for messages: s3://bucket/key or a file path.
	URL(key string) string
	// List calls fn for the objects whose keys start with prefix and sort
	// after startAfter, in ascending key order, until fn returns false.
	List(ctx context.Context, prefix, startAfter string, fn func(Object) bool) error
	// Dirs returns the "directories" directly under prefix (which ends in
	// "/" or is empty), each ending in "/": S3's CommonPrefixes.
	Dirs(ctx context.Context, prefix string) ([]string, error)
	// Open reads an object.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Dir is a local directory used as a Bucket.
type Dir struct{ Root string }

// URL implements Bucket.
func (d Dir) URL(key string) string { return filepath.Join(d.Root, filepath.FromSlash(key)) }

// List implements Bucket. A directory has no index sorted by key, so it is
// walked; the order of keys is S3's (byte order of the full key).
func (d Dir) List(ctx context.Context, prefix, startAfter string, fn func(Object) bool) error {
	// Walk only the deepest directory the prefix names.
	base := prefix
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[:i+1]
	} else {
		base = ""
	}
	var objs []Object
	root := filepath.Join(d.Root, filepath.FromSlash(base))
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() || !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(d.Root, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) || key <= startAfter {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		objs = append(objs, Object{Key: key, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", d.URL(prefix), err)
	}
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	for _, o := range objs {
		if !fn(o) {
			return nil
		}
	}
	return nil
}

// Dirs implements Bucket.
func (d Dir) Dirs(ctx context.Context, prefix string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(d.Root, filepath.FromSlash(prefix)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.URL(prefix), err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, prefix+e.Name()+"/")
		}
	}
	return out, nil
}

// Open implements Bucket.
func (d Dir) Open(_ context.Context, key string) (io.ReadCloser, error) {
	return os.Open(d.URL(key))
}
