package reconcile

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
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
	repairSeedEmails(t, s)
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

// helperEnv names the customer count of the emulator helper process.
const helperEnv = "RECONCILE_HELPER_CUSTOMERS"

// TestHelperEmulators is not a test: run as a child process by
// emulatorProcess, it seeds both emulators, prints their URLs and serves
// until its stdin closes. Memory is then measured in a process that holds
// only what a worker would: the clients and the reconciliation.
func TestHelperEmulators(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(helperEnv))
	if err != nil {
		t.Skip("helper process for the memory tests")
	}
	s := scaleStack(t, n)
	fmt.Printf("READY %s %s\n", s.odooEmu.URL(), s.ddEmu.URL())
	io.Copy(io.Discard, os.Stdin)
}

// emulatorProcess starts the helper with n seeded customers and returns
// clients for it. The helper ends when the test does.
func emulatorProcess(t testing.TB, n int) (*odoo.Client, *dotdigital.Client) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperEmulators$", "-test.timeout=20m")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", helperEnv, n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) != 3 || f[0] != "READY" {
			fmt.Fprintln(os.Stderr, "emulator helper:", lines.Text()) // its test log, e.g. why it failed
			continue
		}
		{
			go io.Copy(io.Discard, stdout)
			oc, err := odoo.New(odoo.Config{URL: f[1], DB: "odoo", Login: "admin", APIKey: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			dc, err := dotdigital.New(dotdigital.Config{APIUser: "demo@apiconnector.com", APIPassword: "demo", Endpoint: f[2]})
			if err != nil {
				t.Fatal(err)
			}
			return oc, dc
		}
	}
	t.Fatalf("emulator helper ended before it was ready: %v", lines.Err())
	return nil, nil
}

// repairSeedEmails works around a seeder bug of the Odoo emulator: for a
// "Name <addr>, other" email whose name starts with a multi-byte letter,
// its email variant upper-cases half a rune, and the emulator then answers
// every read of that partner with invalid UTF-8 (3 partners in 100k with
// seed 7). Real Odoo stores valid UTF-8 only. The emulator's in-process
// Call reaches the raw values.
func repairSeedEmails(t testing.TB, s *stack) {
	t.Helper()
	ctx := context.Background()
	res, err := s.odooEmu.Call(ctx, "res.partner", "search_read", []any{[]any{}},
		map[string]any{"fields": []any{"email"}, "context": map[string]any{"active_test": false}})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := res.([]any)
	for _, row := range rows {
		r, _ := row.(map[string]any)
		email, _ := r["email"].(string)
		if utf8.ValidString(email) {
			continue
		}
		id, _ := r["id"].(int64)
		if _, err := s.odooEmu.Call(ctx, "res.partner", "write", []any{[]any{id}, map[string]any{"email": strings.ToValidUTF8(email, "")}}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// memFigures are heap figures of one run, in bytes, relative to the heap
// before the run (which holds both emulators and their data).
type memFigures struct {
	peakLive   int64 // highest live heap (after a forced GC) sampled during the run
	p50, p95   int64 // percentiles of the samples: steady memory, without rare coincidences
	endInUse   int64 // HeapInuse after the run and a GC, the report still referenced
	samples    int
	customers  int
	odooCalls  int
	ddCalls    int
	items      int // differences found, skipped partners left out
	spilled    int64
	runSeconds float64
}

func liveHeap() (alloc, inuse int64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc), int64(m.HeapInuse)
}

// measure runs a reconciliation while a sampler forces a GC and reads the
// live heap every few milliseconds (the process holds nothing else of size).
func measure(t testing.TB, src Sources, opts Options) memFigures {
	t.Helper()
	baseAlloc, baseInUse := liveHeap()
	var f memFigures
	var samples []int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				alloc, _ := liveHeap()
				samples = append(samples, alloc-baseAlloc)
			}
		}
	}()
	opts.Mapping = testSettings
	began := time.Now()
	rep, err := Run(context.Background(), src, opts)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	f.runSeconds = time.Since(began).Seconds()
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	if f.samples = len(samples); f.samples > 0 {
		f.peakLive, f.p50, f.p95 = samples[f.samples-1], samples[f.samples/2], samples[f.samples*95/100]
	}
	_, inuse := liveHeap()
	f.endInUse = inuse - baseInUse
	f.customers, f.odooCalls, f.ddCalls = rep.Customers, rep.APICalls.Odoo, rep.APICalls.Dotdigital
	for k, n := range rep.Counts {
		if k != KindSkippedPartner {
			f.items += n
		}
	}
	f.spilled = rep.SpilledBytes
	runtime.KeepAlive(rep)
	return f
}

func (f memFigures) log(t testing.TB, label string) {
	t.Helper()
	t.Logf("%s: %d customers, %d differences, in %.1fs; live heap over baseline (%d samples): p50 %.1f MiB, p95 %.1f MiB, peak %.1f MiB; in use at end %.1f MiB; spilled %.0f MiB; calls per 1000 customers: Odoo %.1f, Dotdigital %.1f",
		label, f.customers, f.items, f.runSeconds, f.samples, mib(f.p50), mib(f.p95), mib(f.peakLive), mib(f.endInUse), mib(f.spilled),
		1000*float64(f.odooCalls)/float64(f.customers), 1000*float64(f.ddCalls)/float64(f.customers))
}

func sources(oc *odoo.Client, dc *dotdigital.Client) Sources {
	return Sources{Odoo: oc, Dotdigital: dc}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// TestMemoryFlat: the heap a run needs is set by its page size and spill
// buffers, not by the number of customers. Spill buffers are made small so
// that they fill at both sizes; what grows with the customer base goes to
// disk.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 12k customers")
	}
	opts := Options{PageSize: 500, SpillBytes: 256 << 10}
	small := measure(t, sources(emulatorProcess(t, 2000)), opts)
	small.log(t, "2k")
	large := measure(t, sources(emulatorProcess(t, 10000)), opts)
	large.log(t, "10k")
	t.Logf("live heap ratio 10k/2k: peak %.2f, p95 %.2f", float64(large.peakLive)/float64(max(small.peakLive, 1)),
		float64(large.p95)/float64(max(small.p95, 1)))
	// The p95 of the samples is compared: the single largest sample moves
	// with when a GC happened to run (1.2x to 1.8x between runs on a busy
	// machine). Holding 10k customers in memory would take well over
	// 20 MiB, which the absolute bound on the peak catches.
	if large.p95 > small.p95*3/2+2<<20 {
		t.Errorf("live heap p95 grew from %.1f MiB (2k) to %.1f MiB (10k)", mib(small.p95), mib(large.p95))
	}
	if large.peakLive > 24<<20 {
		t.Errorf("peak live heap %.1f MiB at 10k customers", mib(large.peakLive))
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
		f := measure(b, sources(emulatorProcess(b, n)), opts) // once: a run is the unit measured, whatever b.N
		f.log(b, map[int]string{10000: "10k", 100000: "100k"}[n])
		figs = append(figs, f)
	}
	ratio := float64(figs[1].peakLive) / float64(max(figs[0].peakLive, 1))
	p95 := float64(figs[1].p95) / float64(max(figs[0].p95, 1))
	b.ReportMetric(mib(figs[0].peakLive), "MiB-peak-10k")
	b.ReportMetric(mib(figs[1].peakLive), "MiB-peak-100k")
	b.ReportMetric(ratio, "peak-ratio")
	b.ReportMetric(p95, "p95-ratio")
	b.Logf("live heap ratio 100k/10k: peak %.2f, p95 %.2f", ratio, p95)
}
