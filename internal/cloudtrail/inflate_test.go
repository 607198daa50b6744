package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

func gzMembers(t *testing.T, parts ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts { // one member each
		w := gzip.NewWriter(&b)
		w.Write(p)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// TestReaderOpenGzip: one Reader, reused, reads single- and multi-member
// gzip files, plain files and files larger than it decompresses whole,
// and reports truncated and corrupt ones as gzip errors, whichever
// decompressor the build has.
func TestReaderOpenGzip(t *testing.T) {
	rec := []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2024-07-30T23:59:59Z","eventName":"A"}]}`)
	big := make([]byte, maxWholeGzip+1<<20) // incompressible: more than maxWholeGzip compressed
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	good := gzMembers(t, rec)
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	var r Reader
	for _, c := range []struct {
		name    string
		in      []byte
		want    []byte
		wantErr string
	}{
		{"single", good, rec, ""},
		{"members", gzMembers(t, rec[:10], rec[10:], nil), rec, ""},
		{"plain", rec, rec, ""},
		{"big", gzMembers(t, big), big, ""},
		{"truncated", good[:len(good)-6], nil, "gzip:"},
		{"corrupt", corrupt, nil, "gzip:"},
		{"single again", good, rec, ""},
	} {
		plain, err := r.Open(bytes.NewReader(c.in))
		if whole := err == nil && plain == io.Reader(&r.whole); haveInflater && whole != (c.wantErr == "" && c.name != "big" && c.name != "plain") {
			t.Errorf("%s: decompressed whole: %v", c.name, whole)
		}
		var got []byte
		if err == nil {
			got, err = io.ReadAll(plain)
		}
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want one with %q", c.name, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !bytes.Equal(got, c.want):
			t.Errorf("%s: got %d bytes, want %d", c.name, len(got), len(c.want))
		}
	}
}
