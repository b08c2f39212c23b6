// Command fastsink runs internal/sink: a fast Kinesis PutRecords / Firehose
// PutRecordBatch endpoint that accepts everything, counts records and bytes,
// and stores nothing. It prints its endpoint URL on the first line of stdout.
//
//	fastsink --addr 127.0.0.1:4568 --tls --cert-out /tmp/sink.pem --print-every 1s
//
// With --tls a self-signed certificate for 127.0.0.1/localhost is generated
// at start; point AWS_CA_BUNDLE at --cert-out so the AWS SDK trusts it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/sink"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate generated at start")
	certOut := flag.String("cert-out", "", "with --tls: write the certificate (PEM) to this file")
	every := flag.Duration("print-every", 0, "print counters at this interval (0: only at exit)")
	delay := flag.Duration("delay", 0, "delay every put call's answer by this long (a slow destination)")
	http1 := flag.Bool("http1", false, "with --tls: offer HTTP/1.1 only (no h2), as most AWS endpoints")
	flag.Parse()

	s, err := sink.Listen(*addr, *useTLS, sink.Options{Delay: *delay, HTTP1: *http1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fastsink:", err)
		os.Exit(1)
	}
	defer s.Close()
	if *certOut != "" && s.CertPEM != nil {
		if err := os.WriteFile(*certOut, s.CertPEM, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fastsink:", err)
			os.Exit(1)
		}
	}
	fmt.Println(s.URL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	var tick <-chan time.Time
	if *every > 0 {
		t := time.NewTicker(*every)
		defer t.Stop()
		tick = t.C
	}
	var last sink.Stats
	lastAt := start
	for {
		select {
		case <-ctx.Done():
			st := s.Stats()
			el := time.Since(start).Seconds()
			fmt.Printf("total: %d records, %d bytes, %d calls, %d errors in %.1fs\n", st.Records, st.Bytes, st.Calls, st.Errors, el)
			return
		case now := <-tick:
			st := s.Stats()
			dt := now.Sub(lastAt).Seconds()
			fmt.Printf("%d records (%.0f rec/s, %.1f MB/s), %d bytes, %d calls, %d errors\n",
				st.Records, float64(st.Records-last.Records)/dt, float64(st.Bytes-last.Bytes)/dt/1e6, st.Bytes, st.Calls, st.Errors)
			last, lastAt = st, now
		}
	}
}
