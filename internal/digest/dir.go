package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MetadataSuffix is appended to an object's path to find its metadata
// sidecar in a local copy of a bucket (see DirOpener).
const MetadataSuffix = ".metadata.json"

// DirOpener returns an OpenFunc reading a local copy of one bucket rooted at
// root (e.g. made with `aws s3 sync s3://BUCKET root`): object KEY is the
// file root/KEY; the bucket argument is ignored. Object metadata, which
// `aws s3 sync` does not copy, is read from the sidecar root/KEY.metadata.json
// when present, holding either the S3 user-metadata map
// ({"signature":"..","signature-algorithm":"SHA256withRSA"}) or the whole
// output of `aws s3api head-object --bucket BUCKET --key KEY`
// ({"Metadata":{...},...}). Without a sidecar the metadata is nil, and a
// digest's signature is then taken from the next digest's
// previousDigestSignature where there is one. A missing file gives an error
// wrapping fs.ErrNotExist.
func DirOpener(root string) OpenFunc {
	return func(ctx context.Context, _, key string) (io.ReadCloser, map[string]string, error) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		rel := filepath.FromSlash(key)
		if !filepath.IsLocal(rel) {
			return nil, nil, fmt.Errorf("digest: key %q escapes the directory: %w", key, fs.ErrNotExist)
		}
		p := filepath.Join(root, rel)
		meta, err := readSidecar(p + MetadataSuffix)
		if err != nil {
			return nil, nil, err
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, fmt.Errorf("digest: %w", err)
		}
		return f, meta, nil
	}
}

func readSidecar(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("digest: metadata sidecar: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("digest: metadata sidecar %s: %w", path, err)
	}
	if m, ok := raw["Metadata"]; ok {
		if err := json.Unmarshal(m, &raw); err != nil {
			return nil, fmt.Errorf("digest: metadata sidecar %s: Metadata: %w", path, err)
		}
	}
	meta := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			continue // not a string: not user metadata
		}
		meta[k] = s
	}
	return normMeta(meta), nil
}

// WriteSidecar writes metadata as the sidecar DirOpener reads for the file
// at path.
func WriteSidecar(path string, metadata map[string]string) error {
	b, err := json.MarshalIndent(metadata, "", "  ")
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if err := os.WriteFile(path+MetadataSuffix, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	return nil
}

// DirDigests lists the digest files (keys ParseKey accepts) under root, a
// local copy of bucket, as DigestRefs with slash-separated keys relative to
// root, sorted by key.
func DirDigests(ctx context.Context, root, bucket string) ([]DigestRef, error) {
	var refs []DigestRef
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if de.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if _, err := ParseKey(key); err != nil {
			return nil
		}
		refs = append(refs, DigestRef{Bucket: bucket, Key: key})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("digest: listing %s: %w", root, err)
	}
	slices.SortFunc(refs, func(a, b DigestRef) int { return strings.Compare(a.Key, b.Key) })
	return refs, nil
}
