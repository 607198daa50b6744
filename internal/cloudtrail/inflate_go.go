//go:build !(cgo && libdeflate)

package cloudtrail

// haveInflater tells that this build has no whole-file gunzip: inputs are
// always decompressed as a stream (klauspost/compress).
const haveInflater = false

type inflater struct{}

func newInflater() *inflater { return nil }

func (f *inflater) gunzip(dst, src []byte, limit int) ([]byte, bool) { return dst, false }
