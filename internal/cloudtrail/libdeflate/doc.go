// Package libdeflate gunzips whole in-memory files with libdeflate
// (https://github.com/ebiggers/libdeflate, MIT licence, src/COPYING), about
// 2.5 times as fast as klauspost/compress: the CloudTrail decoder's whole-file
// gunzip, where most of an ingest's or a match's CPU went.
//
// src/ is libdeflate 1.14's decompression sources, unchanged, as Debian ships
// them (libdeflate_1.14.orig.tar.gz); the ld_*.c files compile them, one
// translation unit each. The package is built with cgo (which the embedded
// DuckDB needs anyway) unless the tag nolibdeflate is set; without cgo it is
// empty and the decoder uses klauspost/compress alone.
package libdeflate
