//go:build cgo && !nolibdeflate

// One translation unit of the vendored libdeflate (src/, see doc.go).
#include "src/lib/crc32.c"
