//go:build cgo && !nolibdeflate

package libdeflate

/*
#cgo CFLAGS: -O2 -I${SRCDIR}/src -I${SRCDIR}/src/lib
#include "libdeflate.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Decompressor is one libdeflate decompressor; one goroutine uses it.
type Decompressor struct {
	d *C.struct_libdeflate_decompressor
}

// New returns a decompressor, or nil when libdeflate cannot allocate one.
func New() *Decompressor {
	d := C.libdeflate_alloc_decompressor()
	if d == nil {
		return nil
	}
	f := &Decompressor{d: d}
	runtime.AddCleanup(f, func(d *C.struct_libdeflate_decompressor) { C.libdeflate_free_decompressor(d) }, d)
	return f
}

// Gunzip appends the decompressed members of the gzip file src to dst[:0]
// and reports whether that worked within limit bytes; on false the caller
// decompresses src with a streaming decoder, which explains what is wrong.
func (f *Decompressor) Gunzip(dst, src []byte, limit int) ([]byte, bool) {
	if f == nil || len(src) == 0 {
		return dst, false
	}
	dst = dst[:0]
	for len(src) > 0 {
		if len(src) < 18 {
			return dst, false
		}
		// ISIZE, the member's size mod 2^32, is only a hint: a file of
		// several members has one per member, and a corrupt one lies.
		size := int(uint32(src[len(src)-4]) | uint32(src[len(src)-3])<<8 | uint32(src[len(src)-2])<<16 | uint32(src[len(src)-1])<<24)
		want := len(dst) + max(size, 4*len(src))
		for {
			if want > limit {
				return dst, false
			}
			if cap(dst) < want {
				grown := make([]byte, len(dst), want)
				copy(grown, dst)
				dst = grown
			}
			out := dst[len(dst):cap(dst)]
			var in, written C.size_t
			r := C.libdeflate_gzip_decompress_ex(f.d, unsafe.Pointer(&src[0]), C.size_t(len(src)),
				unsafe.Pointer(unsafe.SliceData(out)), C.size_t(len(out)), &in, &written)
			runtime.KeepAlive(src)
			runtime.KeepAlive(out)
			if r == C.LIBDEFLATE_INSUFFICIENT_SPACE {
				want = len(dst) + 2*len(out)
				continue
			}
			if r != C.LIBDEFLATE_SUCCESS {
				return dst, false
			}
			dst = dst[:len(dst)+int(written)]
			src = src[int(in):]
			break
		}
	}
	return dst, true
}
