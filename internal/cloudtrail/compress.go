package cloudtrail

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// Decompress returns a reader of r's content, gunzipped when it starts with
// the gzip magic number (detected by content, not by file name). Close the
// returned closer when done; it does not close r.
func Decompress(r io.Reader) (io.Reader, io.Closer, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return &gzipErrReader{zr: zr}, zr, nil
	}
	return br, io.NopCloser(nil), nil
}

// Reader opens inputs one after another for one worker, reusing its read
// buffer, gzip state and Decoder across inputs.
type Reader struct {
	// WholeGzip makes Open read a gzip input of up to 8 MiB to its end
	// and decompress it at once, which is faster (see Whole) but waits for
	// the end of the input: for files, not for live streams.
	WholeGzip bool

	br  *bufio.Reader
	zr  *gzip.Reader
	gz  gzipErrReader
	dec *Decoder

	// A gzip input of up to maxWholeGzip bytes is read into zbuf and
	// decompressed at once into plain (see Whole); larger or undecodable
	// inputs stream.
	inf     *inflater
	zbuf    []byte
	plain   []byte
	whole   bytes.Reader
	isWhole bool // the last Open returned &whole
}

const (
	// maxWholeGzip and maxWholePlain bound what a Reader decompresses in
	// memory at once; CloudTrail delivery files are far smaller.
	maxWholeGzip  = 8 << 20
	maxWholePlain = 64 << 20
)

// Open prepares to read src, gunzipping it when it starts with the gzip
// magic number. The returned reader is valid until the next call to Open.
func (r *Reader) Open(src io.Reader) (io.Reader, error) {
	r.isWhole = false
	if r.br == nil {
		r.br = bufio.NewReaderSize(src, 64<<10)
	} else {
		r.br.Reset(src)
	}
	magic, err := r.br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return r.br, nil
	}
	var gz io.Reader = r.br
	if r.WholeGzip {
		var plain io.Reader
		if plain, gz = r.gunzipWhole(); plain != nil {
			return plain, nil
		}
	}
	if r.zr == nil {
		r.zr, err = gzip.NewReader(gz)
	} else {
		err = r.zr.Reset(gz)
	}
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	r.gz.zr = r.zr
	return &r.gz, nil
}

// Decoder opens src and returns a Decoder for it (see Open).
func (r *Reader) Decoder(src io.Reader, name string) (*Decoder, error) {
	plain, err := r.Open(src)
	if err != nil {
		return nil, err
	}
	if r.dec == nil {
		r.dec = NewDecoder(plain, name)
	} else {
		r.dec.Reset(plain, name)
	}
	return r.dec, nil
}

// DecoderPlain returns the Reader's Decoder for plain, a stream that is
// already decompressed (read through Open), reusing the Decoder's window.
func (r *Reader) DecoderPlain(plain io.Reader, name string) *Decoder {
	if r.dec == nil {
		r.dec = NewDecoder(plain, name)
	} else {
		r.dec.Reset(plain, name)
	}
	return r.dec
}

// gunzipWhole reads the gzip input in r.br whole and decompresses it at
// once. When it cannot (too large, a read error, corrupt), it returns the
// input instead, for the streaming decoder: the bytes read so far followed
// by the rest.
func (r *Reader) gunzipWhole() (plain, rest io.Reader) {
	r.zbuf = r.zbuf[:0]
	var err error
	for err == nil && len(r.zbuf) <= maxWholeGzip {
		if len(r.zbuf) == cap(r.zbuf) {
			r.zbuf = append(r.zbuf, 0)[:len(r.zbuf)]
		}
		var n int
		n, err = r.br.Read(r.zbuf[len(r.zbuf):cap(r.zbuf)])
		r.zbuf = r.zbuf[:len(r.zbuf)+n]
	}
	if err != io.EOF {
		if err == nil {
			return nil, io.MultiReader(bytes.NewReader(r.zbuf), r.br)
		}
		return nil, io.MultiReader(bytes.NewReader(r.zbuf), errReader{err})
	}
	if r.inf == nil {
		r.inf = newInflater()
	}
	out, ok := r.inf.gunzip(r.plain, r.zbuf, maxWholePlain)
	if cap(out) <= maxWholePlain {
		r.plain = out
	}
	if !ok {
		return nil, bytes.NewReader(r.zbuf)
	}
	r.whole.Reset(out)
	r.isWhole = true
	return &r.whole, nil
}

// Whole returns the input that the last Open decompressed whole (valid until
// the next Open), for DecoderBytes; false when it streams. Call it before
// reading from what Open returned.
func (r *Reader) Whole() ([]byte, bool) {
	if !r.isWhole {
		return nil, false
	}
	return r.plain, true
}

// DecoderBytes returns the Reader's Decoder for b, a whole decompressed
// input (from Whole), which it reads in place.
func (r *Reader) DecoderBytes(b []byte, name string) *Decoder {
	if r.dec == nil {
		r.dec = NewDecoder(bytes.NewReader(nil), name)
	}
	r.dec.ResetBytes(b, name)
	return r.dec
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// gzipErrReader prefixes decompression errors with "gzip:" so a truncated or
// corrupt file says what failed.
type gzipErrReader struct {
	zr *gzip.Reader
}

func (g *gzipErrReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip: %w", err)
	}
	return n, err
}

// gunzipAll decompresses a small in-memory gzip payload, refusing to expand
// it beyond limit bytes.
func gunzipAll(b []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	defer zr.Close()
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("gzip: payload expands beyond %d bytes", limit)
	}
	return out.Bytes(), nil
}
