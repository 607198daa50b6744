package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
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
	r := Reader{WholeGzip: true}
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
		b, whole := r.Whole()
		if whole != (c.wantErr == "" && c.name != "big" && c.name != "plain") {
			t.Errorf("%s: decompressed whole: %v", c.name, whole)
		}
		if whole && !bytes.Equal(b, c.want) {
			t.Errorf("%s: Whole gives %d bytes, want %d", c.name, len(b), len(c.want))
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

// TestDecoderBytes: a Decoder reading a whole input in place gives the
// records, offsets and errors a streaming one does, and goes back to its
// own window for the next streamed input.
func TestDecoderBytes(t *testing.T) {
	inputs := []string{
		`{"Records":[{"eventVersion":"1.08","eventTime":"2024-07-30T23:59:59Z","eventName":"A"}, {"eventVersion":"1.08","eventName":"B","x":"\u00e9"}]}`,
		`{"eventVersion":"1.08","eventName":"C"}
{"eventVersion":"1.08","eventName":"D"}`,
		`{"Records":[{"eventVersion":"1.08","eventName":"E"},{"eventVersion"`,
		`{"Records":[{"eventVersion":"1.08","eventName":"F"}, 3, {"eventVersion":"1.08","eventName":"G"}]}`,
	}
	decode := func(dec *Decoder) (out []string) {
		for {
			rec, err := dec.Next()
			if err == io.EOF {
				return out
			}
			if err != nil {
				out = append(out, "error: "+err.Error())
				continue
			}
			out = append(out, fmt.Sprintf("%d@%d %s", rec.Index, rec.Offset, rec.Raw))
		}
	}
	var r Reader
	for _, in := range inputs {
		want := decode(NewDecoder(strings.NewReader(in), "x"))
		got := decode(r.DecoderBytes([]byte(in), "x"))
		if !slices.Equal(got, want) {
			t.Errorf("in place:\n%q\nstreaming:\n%q", got, want)
		}
		dec, err := r.Decoder(strings.NewReader(in), "x")
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(dec); !slices.Equal(got, want) {
			t.Errorf("streamed after in place:\n%q\nwant:\n%q", got, want)
		}
	}
}

// TestReaderStreams: without WholeGzip, Open streams.
func TestReaderStreams(t *testing.T) {
	var r Reader
	plain, err := r.Open(bytes.NewReader(gzMembers(t, []byte(`{"eventVersion":"1.08","eventName":"A"}`))))
	if err != nil {
		t.Fatal(err)
	}
	if _, whole := r.Whole(); whole || plain == io.Reader(&r.whole) {
		t.Error("decompressed whole")
	}
}
