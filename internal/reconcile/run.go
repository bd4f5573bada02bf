package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
)

// Defaults of Options.
const (
	DefaultPageSize        = 1000
	DefaultMaxItemsPerKind = 1000
	DefaultSpillBytes      = 4 << 20

	// maxDotdigitalPage is the largest v3 page (limit) the API takes.
	maxDotdigitalPage = 5000
)

// Sources are the two systems compared. Odoo is the source of truth.
type Sources struct {
	Odoo       *odoo.Client
	Dotdigital *dotdigital.Client
}

// Options shape a run.
type Options struct {
	// Mapping is the sync's mapping (VIP tags, currency, lists, tag lists):
	// the desired state is customer.Build with it.
	Mapping customer.Settings
	// Lists are the lists whose members the sync owns: a member without an
	// Odoo customer is only_in_dotdigital. Default Mapping.Lists.
	Lists []string
	// PageSize is the number of Odoo partners per read and of Dotdigital
	// contacts or records per page (orders are read twice as many per
	// page). Default DefaultPageSize.
	PageSize int
	// MaxItemsPerKind caps Report.Items per kind (Counts stay complete).
	// Default DefaultMaxItemsPerKind.
	MaxItemsPerKind int
	// Progress, when set, is called (from one goroutine at a time) with the
	// partners handled so far against the expected total: every partner is
	// scanned, then compared, so total is twice the partner count.
	Progress func(done, total int)
	// OnItem, when set, receives every item as it is found, uncapped (e.g.
	// to send heal hints for every healable key), from one goroutine at a
	// time. An error ends the run.
	OnItem func(Item) error
	// TempDir holds the spill files, which contain customer data (a private
	// 0700 directory is made in it and removed at the end). Default
	// os.TempDir().
	TempDir string
	// SpillBytes is how much each spill sorter keeps in memory before it
	// writes a sorted run to disk (three fill while both systems are read;
	// one at a time after that). Default DefaultSpillBytes.
	SpillBytes int
	// ExcludePartners are partner ids that are not customers (the Odoo
	// companies' own partners, internal users): the sync never sends them,
	// so they are neither compared nor reported (still counted in Partners).
	ExcludePartners map[int64]bool
}

func (o Options) withDefaults() Options {
	if len(o.Lists) == 0 {
		o.Lists = append([]string(nil), o.Mapping.Lists...)
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.MaxItemsPerKind <= 0 {
		o.MaxItemsPerKind = DefaultMaxItemsPerKind
	}
	if o.SpillBytes <= 0 {
		o.SpillBytes = DefaultSpillBytes
	}
	return o
}

// managedLists are the lists whose memberships are read: the scanned ones,
// the ones every contact joins and the tag-driven ones.
func (o Options) managedLists() []string {
	seen := map[string]bool{}
	var out []string
	add := func(l string) {
		if l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, l := range o.Lists {
		add(l)
	}
	for _, l := range o.Mapping.Lists {
		add(l)
	}
	for _, l := range o.Mapping.TagLists {
		add(l)
	}
	sort.Strings(out)
	return out
}

// Run reconciles Odoo against Dotdigital and returns the report. It reads
// both systems in full, page by page, spilling what it reads to sorted
// files under TempDir, then walks both sides merged by customer key: memory
// stays flat however large the customer base. It writes nothing to either
// system. It honours ctx cancellation.
func Run(ctx context.Context, src Sources, opts Options) (*Report, error) {
	if src.Odoo == nil || src.Dotdigital == nil {
		return nil, errors.New("reconcile: both an Odoo and a Dotdigital client are required")
	}
	opts = opts.withDefaults()
	dir, err := os.MkdirTemp(opts.TempDir, "reconcile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	rep := &Report{StartedAt: time.Now().UTC()}
	col := newCollector(rep, opts.MaxItemsPerKind, opts.OnItem)
	calls := newCallCounter()
	dd := &dotdigitalSide{dd: src.Dotdigital, calls: calls, warn: col.warn, pageSize: min(opts.PageSize, maxDotdigitalPage),
		byKey: newSorter(dir, "dd-key", opts.SpillBytes), byID: newSorter(dir, "dd-id", opts.SpillBytes)}
	od := &odooSide{odoo: src.Odoo, calls: calls, pageSize: opts.PageSize, exclude: opts.ExcludePartners,
		byKey: newSorter(dir, "odoo-key", opts.SpillBytes), skipped: col.add}

	if err := dd.prepare(ctx, opts.managedLists()); err != nil {
		return nil, err
	}
	if err := od.prepare(ctx); err != nil {
		return nil, err
	}
	progress := func(done int) {
		if opts.Progress != nil {
			opts.Progress(done, max(2*od.total, done))
		}
	}
	od.progress = progress

	if err := both(ctx, dd.stream, od.stream); err != nil {
		return nil, err
	}

	misplaced := newMisplacedFinder(dir, opts.SpillBytes)
	cmp := newComparer(opts.Mapping, opts.Lists, dd.present, misplaced, col.add)
	compared, reported := 0, 0
	err = compareAll(ctx, cmp, func(partners int) {
		compared += partners
		if compared-reported >= opts.PageSize { // about as often as during the scan
			reported = compared
			progress(od.partners + compared)
		}
	}, dd.byKey, od.byKey)
	if err != nil {
		return nil, err
	}
	progress(od.partners + compared)
	// After the walk: a record on the wrong contact was seen as extra on one
	// key and missing on another; only now can the two be matched.
	if err := misplaced.report(ctx, col.add); err != nil {
		return nil, err
	}

	col.finish()
	rep.Customers, rep.Partners = cmp.customers, od.partners
	rep.Contacts, rep.Records = dd.contacts, dd.records
	rep.OrphanRecords, rep.UnkeyedContacts = dd.orphans, dd.unkeyed
	rep.SpilledBytes = dd.byKey.written + dd.byID.written + od.byKey.written + misplaced.written()
	rep.APICalls = calls.snapshot()
	rep.FinishedAt = time.Now().UTC()
	return rep, nil
}

// compareAll merges the sorters by key and compares one key at a time;
// done is told how many partners each compared key had.
func compareAll(ctx context.Context, cmp *comparer, done func(partners int), sorters ...*sorter) error {
	var g group
	started := false
	flush := func() error {
		if !started {
			return nil
		}
		done(len(g.partners))
		return cmp.compare(&g)
	}
	err := mergeSorted(ctx, func(p pair) error {
		if !started || p.key != g.key {
			if err := flush(); err != nil {
				return err
			}
			g.reset(p.key)
			started = true
		}
		var e entry
		if err := json.Unmarshal(p.val, &e); err != nil {
			return err
		}
		g.add(e)
		return nil
	}, sorters...)
	if err != nil {
		return err
	}
	return flush()
}

// both runs a and b concurrently; the first error cancels the other.
func both(ctx context.Context, a, b func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, f := range []func(context.Context) error{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = f(ctx); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// Prefer the error that caused the cancellation over the ones it caused.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}
