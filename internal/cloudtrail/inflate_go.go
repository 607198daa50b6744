//go:build !cgo || nolibdeflate

package cloudtrail

import (
	"bytes"
	"io"

	"github.com/klauspost/compress/gzip"
)

// inflater gunzips whole in-memory files with klauspost/compress (builds
// without cgo or with the nolibdeflate tag).
type inflater struct {
	zr *gzip.Reader
	br bytes.Reader
}

func newInflater() *inflater { return &inflater{} }

// gunzip appends the decompressed members of the gzip file src to dst[:0]
// and reports whether that worked within limit bytes; on false, the caller
// decompresses src with the streaming decoder, which explains what is
// wrong.
func (f *inflater) gunzip(dst, src []byte, limit int) ([]byte, bool) {
	f.br.Reset(src)
	if f.zr == nil {
		zr, err := gzip.NewReader(&f.br)
		if err != nil {
			return dst, false
		}
		f.zr = zr
	} else if err := f.zr.Reset(&f.br); err != nil {
		return dst, false
	}
	dst = dst[:0]
	if len(src) >= 18 {
		// ISIZE, the last member's size mod 2^32: a hint for the buffer.
		size := int(uint32(src[len(src)-4]) | uint32(src[len(src)-3])<<8 | uint32(src[len(src)-2])<<16 | uint32(src[len(src)-1])<<24)
		if want := min(size+1, limit); cap(dst) < want {
			dst = make([]byte, 0, want)
		}
	}
	for {
		if len(dst) == cap(dst) {
			if cap(dst) >= limit {
				return dst, false
			}
			grown := make([]byte, len(dst), min(max(2*cap(dst), 64<<10), limit))
			copy(grown, dst)
			dst = grown
		}
		n, err := f.zr.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, true
		}
		if err != nil {
			return dst, false
		}
	}
}
