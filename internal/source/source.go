// Package source finds where records come from — files, directory trees in
// the CloudTrail S3 delivery layout, stdin — and processes inputs on several
// workers while handing results on in input order.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Input is one stream to read: a file or stdin.
type Input struct {
	// Name is the path as given or found; "-" is stdin.
	Name string
	// Explicit is true when the user named this input, false when it was
	// found by walking a directory. Inputs found by walking that turn out not
	// to be CloudTrail are skipped with a notice instead of an error.
	Explicit bool
	stdin    io.Reader
	open     func() (io.ReadCloser, error)
	// err is a problem found while walking (a missing path): Open returns
	// it, so it is reported in input order like any read error.
	err error
}

// ObjectInput is an input read by open, such as an S3 object; name says where it
// is (s3://bucket/key). It counts as named by the user: an object that is
// not CloudTrail is an error, not a notice.
func ObjectInput(name string, open func() (io.ReadCloser, error)) Input {
	return Input{Name: name, Explicit: true, open: open}
}

// Local says whether the input is a file on this machine (not stdin, an
// object, or a path that could not be found).
func (in Input) Local() bool { return in.err == nil && in.open == nil && in.Name != "-" }

// Open opens the input. The caller closes it.
func (in Input) Open() (io.ReadCloser, error) {
	if in.err != nil {
		return nil, in.err
	}
	if in.open != nil {
		rc, err := in.open()
		if err != nil {
			return nil, &OpenError{Name: in.Name, Err: err}
		}
		return rc, nil
	}
	if in.Name == "-" {
		return io.NopCloser(in.stdin), nil
	}
	f, err := os.Open(in.Name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", in.Name, err)
	}
	return f, nil
}

// OpenError is an input that could not be opened (or fetched): unlike a
// corrupt one, trying again later may succeed.
type OpenError struct {
	Name string
	Err  error
}

func (e *OpenError) Error() string { return "open " + e.Name + ": " + e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// Skipped names directories whose files are never log records.
func skippedDir(name string) (string, bool) {
	switch name {
	case "CloudTrail-Digest":
		return "CloudTrail digest files", true
	}
	return "", strings.HasPrefix(name, ".") && name != "." && name != ".."
}

// Walk is Walker{S3: DefaultS3}.Walk: s3:// arguments are read with the
// SDK's default credential chain.
func Walk(ctx context.Context, args []string, stdin io.Reader, out chan<- Input, report func(error), notice func(string)) {
	Walker{S3: DefaultS3}.Walk(ctx, args, stdin, out, report, notice)
}

// Walker finds the inputs named on a command line.
type Walker struct {
	// S3 opens the bucket of an s3:// argument; nil makes such arguments
	// errors.
	S3 func(ctx context.Context, bucket string) (Bucket, error)
}

// Walk sends every input named by args to out in a stable order: files as
// given, directories walked recursively in lexical order, s3://BUCKET/PREFIX
// listed in key order, "-" as stdin. Problems with one argument (a missing
// path) come as inputs whose Open fails, so they are reported in input
// order and the rest continue; report gets what stops a walk early;
// notices say what was skipped on purpose.
func (w Walker) Walk(ctx context.Context, args []string, stdin io.Reader, out chan<- Input, report func(error), notice func(string)) {
	defer close(out)
	send := func(in Input) bool {
		select {
		case out <- in:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, arg := range args {
		if arg == "-" {
			if !send(Input{Name: "-", Explicit: true, stdin: stdin}) {
				return
			}
			continue
		}
		if strings.HasPrefix(arg, "s3://") {
			if err := w.walkS3(ctx, arg, send, notice); err != nil {
				if ctx.Err() != nil {
					return
				}
				if !send(Input{Name: arg, Explicit: true, err: fmt.Errorf("read %s: %w", arg, err)}) {
					return
				}
			}
			continue
		}
		st, err := os.Stat(arg)
		if err != nil {
			if !send(Input{Name: arg, Explicit: true, err: fmt.Errorf("read %s: %w", arg, unwrapPathErr(err))}) {
				return
			}
			continue
		}
		if !st.IsDir() {
			if !send(Input{Name: arg, Explicit: true}) {
				return
			}
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if !send(Input{Name: path, Explicit: true, err: fmt.Errorf("read %s: %w", path, unwrapPathErr(err))}) {
					return ctx.Err()
				}
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() {
				if path == arg {
					return nil
				}
				if why, skip := skippedDir(d.Name()); skip {
					if why != "" {
						notice(fmt.Sprintf("%s: skipped: %s", path, why))
					}
					return fs.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") || !d.Type().IsRegular() {
				return nil
			}
			if !send(Input{Name: path}) {
				return ctx.Err()
			}
			return nil
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			report(fmt.Errorf("walk %s: %w", arg, err))
		}
	}
}

// walkS3 sends the objects under s3://BUCKET/PREFIX in key order; digest
// files are skipped with one notice per argument.
func (w Walker) walkS3(ctx context.Context, arg string, send func(Input) bool, notice func(string)) error {
	if w.S3 == nil {
		return errors.New("reading S3 is not available here")
	}
	bucket, prefix, err := ParseS3URL(arg)
	if err != nil {
		return err
	}
	// A prefix names a "directory" or a single object: list without the
	// slash ParseS3URL adds, and keep keys equal to it or below it.
	prefix = strings.TrimSuffix(prefix, "/")
	b, err := w.S3(ctx, bucket)
	if err != nil {
		return err
	}
	digests, stopped := 0, false
	err = b.List(ctx, prefix, "", func(o Object) bool {
		if prefix != "" && o.Key != prefix && !strings.HasPrefix(o.Key, prefix+"/") {
			return true
		}
		if strings.HasSuffix(o.Key, "/") {
			return true // a "folder" placeholder
		}
		if strings.Contains("/"+o.Key, "/CloudTrail-Digest/") {
			digests++
			return true
		}
		key := o.Key
		if !send(Input{Name: b.URL(key), Explicit: key == prefix, open: func() (io.ReadCloser, error) { return b.Open(ctx, key) }}) {
			stopped = true
			return false
		}
		return true
	})
	if digests > 0 {
		notice(fmt.Sprintf("%s: skipped %d CloudTrail digest files", arg, digests))
	}
	if stopped {
		return ctx.Err()
	}
	return err
}

// unwrapPathErr drops the *fs.PathError wrapper, whose path the caller
// already names.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
