package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{
		"AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/b.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/a.json.gz",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/01/d.json.gz",
		"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2025/03/01/i.json.gz",
		".hidden/x.json", "notes/.DS_Store", "single.json",
	} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := make(chan Input)
	var errs, notices []string
	go Walker{}.Walk(context.Background(), []string{filepath.Join(dir, "AWSLogs"), filepath.Join(dir, "single.json"), "-", filepath.Join(dir, "missing"), "s3://bucket/prefix"},
		strings.NewReader(""), out, func(err error) { errs = append(errs, err.Error()) }, func(n string) { notices = append(notices, n) })
	var got []string
	for in := range out {
		got = append(got, fmt.Sprintf("%s explicit=%v", strings.TrimPrefix(in.Name, dir+"/"), in.Explicit))
		// Problems with an argument come in order, as inputs that fail to open.
		if rc, err := in.Open(); err != nil {
			errs = append(errs, err.Error())
		} else {
			rc.Close()
		}
	}
	want := []string{
		"AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/a.json.gz explicit=false",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/b.json.gz explicit=false",
		"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2025/03/01/i.json.gz explicit=false",
		"single.json explicit=true",
		"- explicit=true",
		"missing explicit=true",
		"s3://bucket/prefix explicit=true",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("inputs:\n got %q\nwant %q", got, want)
	}
	if len(errs) != 2 || !strings.Contains(errs[0], "missing: no such file or directory") || !strings.Contains(errs[1], "s3://bucket/prefix") {
		t.Errorf("errors = %q", errs)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "CloudTrail-Digest: skipped: CloudTrail digest files") {
		t.Errorf("notices = %q", notices)
	}
}

// TestOrdered checks that results arrive in input order although inputs
// finish out of order, and that a slow consumer does not deadlock workers.
func TestOrdered(t *testing.T) {
	const n = 50
	in := make(chan Input)
	go func() {
		for i := 0; i < n; i++ {
			in <- Input{Name: fmt.Sprint(i)}
		}
		close(in)
	}()
	var got []string
	var finished atomic.Int32
	Ordered(context.Background(), in, 4,
		func(_ context.Context, in Input, send func(string)) {
			k := 0
			fmt.Sscan(in.Name, &k)
			for j := 0; j < 30-(k%30); j++ { // more results for early inputs
				send(fmt.Sprintf("%s.%d", in.Name, j))
			}
		},
		func(in Input, s string) {
			if !strings.HasPrefix(s, in.Name+".") {
				t.Errorf("result %s handed out with input %s", s, in.Name)
			}
			got = append(got, s)
		},
		func(Input) { finished.Add(1) })
	var want []string
	for k := 0; k < n; k++ {
		for j := 0; j < 30-(k%30); j++ {
			want = append(want, fmt.Sprintf("%d.%d", k, j))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results out of order:\n got %v\nwant %v", got, want)
	}
	if finished.Load() != n {
		t.Errorf("finish called %d times, want %d", finished.Load(), n)
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+10)
	in := "first\r\n\nsecond line\n" + long + "\nlast without newline"
	lr := NewLineReader(strings.NewReader(in), "log.txt")
	var got []string
	var errs []error
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, fmt.Sprintf("%d:%s", lr.Line(), line))
	}
	want := []string{"1:first", "3:second line", "5:last without newline"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrLineTooLong) || !strings.Contains(errs[0].Error(), "log.txt: line 4") {
		t.Errorf("errors = %v", errs)
	}
}
