package cloudtrail

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// BenchmarkDecode measures decoding a gzip'd delivery file of realistic
// records: gunzip + record splitting + one parse per record.
//
//	go test -bench=Decode -benchmem ./internal/cloudtrail/
func BenchmarkDecode(b *testing.B) {
	const n = 2000
	var sb strings.Builder
	sb.WriteString(`{"Records":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString([]string{ev1, ev2, ev3}[i%3])
	}
	sb.WriteString("]}")
	for _, c := range []struct {
		name string
		data []byte
	}{{"plain", []byte(sb.String())}, {"gzip", gz(b, sb.String())}} {
		b.Run(c.name, func(b *testing.B) {
			var rd Reader
			b.SetBytes(int64(sb.Len()))
			b.ReportAllocs()
			for b.Loop() {
				dec, err := rd.Decoder(bytes.NewReader(c.data), "bench")
				if err != nil {
					b.Fatal(err)
				}
				count := 0
				for {
					_, err := dec.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					count++
				}
				if count != n {
					b.Fatalf("decoded %d records, want %d", count, n)
				}
			}
		})
	}
}
