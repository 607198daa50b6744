//go:build cgo && !nolibdeflate

package cloudtrail

import "github.com/trailwatch/trailwatch/internal/cloudtrail/libdeflate"

// inflater gunzips whole in-memory files with the vendored libdeflate
// (builds with cgo and without the nolibdeflate tag).
type inflater struct {
	d *libdeflate.Decompressor
}

func newInflater() *inflater { return &inflater{d: libdeflate.New()} }

// gunzip appends the decompressed members of the gzip file src to dst[:0]
// and reports whether that worked within limit bytes; on false, the caller
// decompresses src with the streaming decoder, which explains what is
// wrong.
func (f *inflater) gunzip(dst, src []byte, limit int) ([]byte, bool) {
	return f.d.Gunzip(dst, src, limit)
}
