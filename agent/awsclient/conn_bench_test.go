package awsclient

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// BenchmarkBodyToTLS writes a 270 KB request body (a 500-record PutRecords
// call) to a TLS connection over loopback the way net/http does: io.Copy
// from an io.LimitReader. "tls.Conn" is net/http's own connection (a new
// 32 KiB copy buffer per body, one write(2) per TLS record); "agent" is the
// agent's dialer's (pooled buffer, records written 4 at a time).
func BenchmarkBodyToTLS(b *testing.B) {
	body := bytes.Repeat([]byte(`{"Data":"eyJjb3N0IjoxMjM0NSwib3JpZ2luIjoiTU9XIn0=","PartitionKey":"123456.789"},`), 270<<10/80)
	for _, mode := range []string{"tls.Conn", "agent"} {
		b.Run(mode, func(b *testing.B) {
			c, cc := tlsPairServing(b, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
			defer c.Close()
			var dst io.Writer = c
			if mode == "tls.Conn" {
				dst = c.Conn // the *tls.Conn itself; its writes still pass the (idle) gatherConn
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			before := cc.writes.Load()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := io.Copy(dst, io.LimitReader(bytes.NewReader(body), int64(len(body)))); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cc.writes.Load()-before)/float64(b.N), "writes/op")
		})
	}
}
