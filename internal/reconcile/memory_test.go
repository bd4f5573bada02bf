package reconcile

import (
	"context"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer/odooconv"
)

// scaleStack seeds n customers in Odoo and writes their desired state to
// Dotdigital with bulk imports. It reads Odoo in full scans (not by key,
// which is slow at this size); orders are read without lines, which only
// shape the records' products, and those are not compared.
func scaleStack(t testing.TB, n int) *stack {
	t.Helper()
	began := time.Now()
	s := newStack(t, n)
	ctx := context.Background()
	cats, err := s.oc.AllCategories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[int64]string{}
	for _, c := range cats {
		tags[c.ID] = c.Name
	}
	custs := map[string]*customer.Customer{}
	keyOf := map[int64]string{}
	err = s.oc.ScanPartners(ctx, 2000, func(page []odoo.Partner) error {
		for _, p := range page {
			k, _ := p.Key()
			if k == "" {
				continue
			}
			c := custs[k]
			if c == nil {
				c = &customer.Customer{Key: k}
				custs[k] = c
			}
			c.Partners = append(c.Partners, odooconv.Partner(p, tags))
			keyOf[p.ID] = k
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fields := []string{"id", "name", "state", "locked", "date_order", "amount_total", "amount_untaxed",
		"currency_id", "partner_id", "company_id", "website_id", "write_date"}
	var last int64
	for {
		recs, err := s.oc.SearchRead(ctx, odoo.ModelSaleOrder, odoo.Term("id", odoo.OpGt, last), fields,
			odoo.ReadOptions{Limit: 5000, Order: "id asc"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			o := odooconv.Order(odoo.OrderFromRecord(r))
			if c := custs[keyOf[o.PartnerID]]; c != nil {
				c.Orders = append(c.Orders, o)
			}
		}
		if len(recs) < 5000 {
			break
		}
		last = recs[len(recs)-1].ID()
	}
	ds := make([]customer.Desired, 0, len(custs))
	for _, c := range custs {
		ds = append(ds, customer.Build(*c, testSettings))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Key < ds[j].Key })
	s.importDesired(t, ds)
	t.Logf("seeded %d customers (%d keys) in %s", n, len(ds), time.Since(began).Round(time.Millisecond))
	return s
}

// memFigures are heap figures of one run, in bytes, relative to the heap
// before the run (which holds both emulators and their data).
type memFigures struct {
	peakLive   int64 // highest live heap (after a forced GC) sampled during the run
	endInUse   int64 // HeapInuse after the run and a GC, the report still referenced
	samples    int
	customers  int
	odooCalls  int
	ddCalls    int
	items      int
	runSeconds float64
}

func liveHeap() (alloc, inuse int64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc), int64(m.HeapInuse)
}

// measure runs a reconciliation and samples the live heap from the
// progress callback (both during the scan and during the comparison).
func measure(t testing.TB, s *stack, opts Options) memFigures {
	t.Helper()
	baseAlloc, baseInUse := liveHeap()
	var f memFigures
	calls := 0
	opts.Mapping = testSettings
	opts.Progress = func(done, total int) {
		// About 40 samples a run: a forced GC is costly at 100k.
		if calls++; calls%max(1, total/opts.PageSize/40) != 0 {
			return
		}
		alloc, _ := liveHeap()
		f.samples++
		f.peakLive = max(f.peakLive, alloc-baseAlloc)
	}
	began := time.Now()
	rep, err := Run(context.Background(), Sources{Odoo: s.oc, Dotdigital: s.dc}, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.runSeconds = time.Since(began).Seconds()
	_, inuse := liveHeap()
	f.endInUse = inuse - baseInUse
	f.customers, f.odooCalls, f.ddCalls, f.items = rep.Customers, rep.APICalls.Odoo, rep.APICalls.Dotdigital, len(rep.Items)
	runtime.KeepAlive(rep)
	return f
}

func (f memFigures) log(t testing.TB, label string) {
	t.Helper()
	t.Logf("%s: %d customers in %.1fs; heap over baseline: peak live %.1f MiB (%d samples), in use at end %.1f MiB; calls per 1000 customers: Odoo %.1f, Dotdigital %.1f",
		label, f.customers, f.runSeconds, mib(f.peakLive), f.samples, mib(f.endInUse),
		1000*float64(f.odooCalls)/float64(f.customers), 1000*float64(f.ddCalls)/float64(f.customers))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// TestMemoryFlat: the heap a run needs is set by its page size and spill
// buffers, not by the number of customers. Spill buffers are made small so
// that they fill at both sizes; what grows with the customer base goes to
// disk.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 11k customers")
	}
	opts := Options{PageSize: 500, SpillBytes: 256 << 10}
	small := measure(t, scaleStack(t, 1000), opts)
	small.log(t, "1k")
	large := measure(t, scaleStack(t, 10000), opts)
	large.log(t, "10k")
	ratio := float64(large.peakLive) / float64(max(small.peakLive, 1))
	t.Logf("peak live heap ratio 10k/1k: %.2f", ratio)
	// Holding 10k customers in memory would take well over 20 MiB; the
	// small slack absorbs GC sampling noise at these small sizes.
	if large.peakLive > small.peakLive*3/2+2<<20 {
		t.Errorf("peak live heap grew from %.1f MiB (1k) to %.1f MiB (10k)", mib(small.peakLive), mib(large.peakLive))
	}
	if large.endInUse > 8<<20 {
		t.Errorf("%.1f MiB still in use after the run", mib(large.endInUse))
	}
}

// BenchmarkMemory10kVs100k runs the default configuration at 10k and 100k
// customers and reports the heap figures and their ratio:
//
//	go test -run '^$' -bench Memory10kVs100k -benchtime 1x ./internal/reconcile
func BenchmarkMemory10kVs100k(b *testing.B) {
	opts := Options{}.withDefaults()
	var figs []memFigures
	for _, n := range []int{10000, 100000} {
		s := scaleStack(b, n)
		f := measure(b, s, opts) // once: a run is the unit measured, whatever b.N
		f.log(b, map[int]string{10000: "10k", 100000: "100k"}[n])
		figs = append(figs, f)
		s.odooEmu.Close()
		s.ddEmu.Close()
	}
	ratio := float64(figs[1].peakLive) / float64(max(figs[0].peakLive, 1))
	b.ReportMetric(mib(figs[0].peakLive), "MiB-peak-10k")
	b.ReportMetric(mib(figs[1].peakLive), "MiB-peak-100k")
	b.ReportMetric(ratio, "peak-ratio")
	b.Logf("peak live heap ratio 100k/10k: %.2f", ratio)
}
