// Package sample generates realistic synthetic month-matrix tickets
// (Russian domestic routes, real airline names, plausible prices, dates,
// durations and distances) as the same CSV lines api_caller writes for real
// tickets. With the same seed and base day the output is byte-identical,
// record_id included. It is built for benchmarks: one reused line buffer,
// no allocation per line.
package sample

import (
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/ticketlog"
)

type airport struct {
	code     string
	lat, lon float64
}

var airports = [...]airport{
	{"LED", 59.8003, 30.2625}, {"KZN", 55.6062, 49.2787}, {"SVO", 55.9726, 37.4146},
	{"DME", 55.4088, 37.9063}, {"VKO", 55.5915, 37.2615}, {"AER", 43.4499, 39.9566},
	{"KRR", 45.0347, 39.1705}, {"OVB", 55.0126, 82.6507}, {"SVX", 56.7431, 60.8027},
	{"KGD", 54.8900, 20.5926}, {"UFA", 54.5575, 55.8744}, {"ROV", 47.4939, 39.9247},
	{"KJA", 56.1729, 92.4933}, {"IKT", 52.2680, 104.3890}, {"VVO", 43.3990, 132.1480},
	{"MRV", 44.2251, 43.0819}, {"MMK", 68.7817, 32.7508}, {"AAQ", 45.0021, 37.3473},
	{"KUF", 53.5049, 50.1643}, {"GOJ", 56.2301, 43.7840},
}

var gates = [...]string{"Aeroflot", "S7", "Pobeda", "Rossiya", "Ural Airlines", "UTair"}

type route struct {
	from, to string
	km       int
}

// daysBefore / daysAfter bound the date table around the base day.
const (
	daysBefore = 7
	daysAfter  = 120
)

// Generator writes synthetic rows.
type Generator struct {
	rng    *rand.Rand
	routes []route
	dates  [daysBefore + daysAfter][10]byte // "2006-01-02", index 0 = base-daysBefore
	line   []byte
}

// New returns a generator for seed whose dates are relative to base (its
// UTC day): departures 1-90 days after it, found_at within 3 days before.
func New(seed uint64, base time.Time) *Generator {
	g := &Generator{
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		line: make([]byte, 0, 256),
	}
	for i := range airports {
		for j := range airports {
			if i == j {
				continue
			}
			km := distanceKm(airports[i], airports[j])
			if km < 150 { // Moscow airports among themselves
				continue
			}
			g.routes = append(g.routes, route{airports[i].code, airports[j].code, km})
		}
	}
	day := time.Date(base.Year(), base.Month(), base.Day(), 0, 0, 0, 0, time.UTC)
	for i := range g.dates {
		copy(g.dates[i][:], day.AddDate(0, 0, i-daysBefore).Format("2006-01-02"))
	}
	return g
}

func distanceKm(a, b airport) int {
	const r = 6371.0
	rad := math.Pi / 180
	dlat := (b.lat - a.lat) * rad
	dlon := (b.lon - a.lon) * rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) +
		math.Cos(a.lat*rad)*math.Cos(b.lat*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return int(math.Round(2 * r * math.Asin(math.Sqrt(h))))
}

// Write writes n rows to w.
func (g *Generator) Write(w io.Writer, n int) error {
	for i := 0; i < n; i++ {
		g.line = g.AppendRow(g.line[:0])
		if _, err := w.Write(g.line); err != nil {
			return err
		}
	}
	return nil
}

// AppendRow appends one row (with '\n') in ticketlog.Columns order.
func (g *Generator) AppendRow(b []byte) []byte {
	r := g.rng
	rt := g.routes[r.IntN(len(g.routes))]

	changes := 0
	switch p := r.IntN(100); {
	case p >= 92:
		changes = 2
	case p >= 65:
		changes = 1
	}
	tripClass := 0
	switch p := r.IntN(100); {
	case p >= 99:
		tripClass = 2
	case p >= 95:
		tripClass = 1
	}
	// Flight time at ~780 km/h plus taxi, plus connections.
	duration := rt.km*60/780 + 25 + r.IntN(20)
	for c := 0; c < changes; c++ {
		duration += 60 + r.IntN(300)
	}
	cost := 1500 + float64(rt.km)*3.1*(0.7+0.9*r.Float64())
	if changes > 0 {
		cost *= 0.85
	}
	switch tripClass {
	case 1:
		cost *= 3.2
	case 2:
		cost *= 5
	}
	costRub := int(cost/10) * 10

	depart := daysBefore + 1 + r.IntN(90)
	ret := depart + 1 + r.IntN(14)
	// Found in the 3 days before the base day (today without --seed), so
	// never later than now.
	foundSec := r.IntN(3 * 86400) // seconds before the base day starts
	foundDay := daysBefore - 1 - foundSec/86400
	sod := 86400 - 1 - foundSec%86400

	b = strconv.AppendInt(b, int64(costRub), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(tripClass), 10)
	b = append(b, ',')
	b = strconv.AppendBool(b, r.IntN(10) != 0)
	b = append(b, ',')
	b = append(b, g.dates[ret][:]...)
	b = append(b, ',')
	b = append(b, rt.from...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(changes), 10)
	b = append(b, ',')
	b = append(b, gates[r.IntN(len(gates))]...)
	b = append(b, ',')
	b = append(b, g.dates[foundDay][:]...)
	b = append(b, 'T')
	b = append2(b, sod/3600)
	b = append(b, ':')
	b = append2(b, sod/60%60)
	b = append(b, ':')
	b = append2(b, sod%60)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(duration), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(rt.km), 10)
	b = append(b, ',')
	b = append(b, rt.to...)
	b = append(b, ',')
	b = append(b, g.dates[depart][:]...)
	b = append(b, ',')
	b = strconv.AppendBool(b, r.IntN(100) < 85)
	b = append(b, ',')
	var id [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		id[i] = byte(hi >> (56 - 8*i))
		id[8+i] = byte(lo >> (56 - 8*i))
	}
	b = ticketlog.AppendUUID(b, ticketlog.UUIDv4(id))
	return append(b, '\n')
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}
