//go:build cgo && !nolibdeflate

package libdeflate

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func gz(t testing.TB, members ...[]byte) []byte {
	var b bytes.Buffer
	for _, m := range members {
		zw := gzip.NewWriter(&b)
		zw.Write(m)
		zw.Close()
	}
	return b.Bytes()
}

// reference is what klauspost/compress (multi-member, as the decoder reads)
// makes of src, and whether it read it without error.
func reference(src []byte) ([]byte, bool) {
	zr, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(zr)
	return out, err == nil
}

// TestGunzip: libdeflate gives klauspost/compress's output for one and
// several members, empty members, data larger than ISIZE suggests, and
// refuses what is corrupt, truncated or over the limit.
func TestGunzip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := bytes.Repeat([]byte(`{"eventName":"PutRolePolicy","eventSource":"iam.amazonaws.com"},`), 5000)
	noise := make([]byte, 300_000)
	for i := range noise {
		noise[i] = byte(rng.IntN(256))
	}
	d := New()
	for name, src := range map[string][]byte{
		"one member":   gz(t, text),
		"three":        gz(t, text[:1000], noise, text),
		"empty member": gz(t, nil, text[:10]),
	} {
		want, _ := reference(src)
		got, ok := d.Gunzip(nil, src, 1<<30)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("%s: ok %v, %d bytes, want %d", name, ok, len(got), len(want))
		}
		// reuses dst
		if got2, ok := d.Gunzip(got, src, 1<<30); !ok || !bytes.Equal(got2, want) {
			t.Errorf("%s again: ok %v", name, ok)
		}
	}
	good := gz(t, text)
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	lying := bytes.Clone(good) // ISIZE says 1 byte
	copy(lying[len(lying)-4:], []byte{1, 0, 0, 0})
	for name, c := range map[string]struct {
		src   []byte
		limit int
		ok    bool
	}{
		"corrupt":       {corrupt, 1 << 30, false},
		"truncated":     {good[:len(good)-5], 1 << 30, false},
		"too short":     {good[:10], 1 << 30, false},
		"over limit":    {good, len(text) - 1, false},
		"at limit":      {good, len(text), true},
		"wrong ISIZE":   {lying, 1 << 30, false}, // both libraries check it
		"trailing junk": {append(bytes.Clone(good), 0, 1, 2), 1 << 30, false},
	} {
		got, ok := d.Gunzip(nil, c.src, c.limit)
		if ok != c.ok || ok && !bytes.Equal(got, text) {
			t.Errorf("%s: ok %v, want %v", name, ok, c.ok)
		}
	}
}

// FuzzGunzip: whatever libdeflate takes, klauspost/compress reads the same
// way (the decoder falls back to it for everything else).
func FuzzGunzip(f *testing.F) {
	f.Add(gz(f, []byte(`{"Records":[]}`)))
	f.Add(gz(f, []byte("a"), []byte("bc")))
	f.Add([]byte{})
	d := New()
	f.Fuzz(func(t *testing.T, src []byte) {
		got, ok := d.Gunzip(nil, src, 1<<20)
		if !ok {
			return
		}
		want, wok := reference(src)
		if !wok || !bytes.Equal(got, want) {
			t.Fatalf("%q: libdeflate %q, klauspost %q (ok %v)", src, got, want, wok)
		}
	})
}
