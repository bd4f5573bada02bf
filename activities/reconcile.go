package activities

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/customer"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/identity"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/messages"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/reconcile"
)

// Reconciler holds the reconciliation activity (task queue dotdigital-api,
// because it reads Dotdigital): it compares Odoo with Dotdigital
// (internal/reconcile), writes the report files and, when asked, heals by
// sending a forced resync hint to every key a healable item needs
// (reconcile.HealKeys).
type Reconciler struct {
	odoo          *odoo.Client
	dd            *dotdigital.Client
	temporal      client.Client
	hasher        identity.Hasher
	queue         string
	customerInput func(key string) any
	mapping       customer.Settings
	excluded      *exclusions
	reportDir     string
	tempDir       string
	logger        *slog.Logger
	// heartbeatEvery re-sends the last progress while a long call runs, so
	// that the heartbeat timeout only catches a dead worker.
	heartbeatEvery time.Duration
}

// ReconcileOptions are the Reconciler settings that do not come from Deps.
type ReconcileOptions struct {
	// ReportDir receives the report files (created 0700 if missing; the
	// files are 0600: they hold customer emails).
	ReportDir string
	// TempDir holds the run's spill files (default os.TempDir()).
	TempDir string
}

// NewReconciler builds the reconciliation activity.
func NewReconciler(d Deps, o ReconcileOptions) *Reconciler {
	r := &Reconciler{
		odoo: d.Odoo, dd: d.Dotdigital, temporal: d.Temporal, hasher: d.Hasher, queue: d.WorkflowQueue,
		customerInput: d.CustomerInput, mapping: d.Mapping, excluded: newExclusions(d.Odoo),
		reportDir: o.ReportDir, tempDir: o.TempDir, logger: d.Logger, heartbeatEvery: 10 * time.Second,
	}
	if r.reportDir == "" {
		r.reportDir = filepath.Join(os.TempDir(), "odoo-dotdigital-sync-reports")
	}
	if r.logger == nil {
		r.logger = slog.Default()
	}
	return r
}

// ReconcileRequest shapes one run.
type ReconcileRequest struct {
	// Heal sends a forced resync hint to every key that a healable
	// difference needs resynced (reconcile.HealKeys: the item's key, and for
	// a misplaced record also the key of the contact holding it), uncapped.
	Heal bool `json:"heal"`
	// PageSize of the reads (default reconcile.DefaultPageSize).
	PageSize int `json:"pageSize,omitempty"`
	// SummaryItems per kind in the result (default reconcile.DefaultSummaryItems).
	SummaryItems int `json:"summaryItems,omitempty"`
}

// ReconcileProgress is the heartbeat detail of a run.
type ReconcileProgress struct {
	Done   int `json:"done"`
	Total  int `json:"total"`
	Healed int `json:"healed"`
}

// healWorkers send heal hints concurrently (each is one signal-with-start),
// so that a run with many differences is not slowed down by them.
const healWorkers = 8

// Reconcile runs one reconciliation. It returns a summary small enough for
// a Temporal payload: the counts, the first items of each kind, the heal
// count and the paths of the full report (JSON, text, and every item as
// JSON lines). A retry runs everything again: the run only reads, and a
// heal hint sent twice costs one redundant resync.
func (r *Reconciler) Reconcile(ctx context.Context, req ReconcileRequest) (reconcile.Summary, error) {
	if r.customerInput == nil && req.Heal {
		return reconcile.Summary{}, temporalError("reconcile", errors.New("healing needs the customer workflow input (Deps.CustomerInput)"))
	}
	excluded, err := r.excluded.set(ctx)
	if err != nil {
		return reconcile.Summary{}, err
	}
	files, err := r.reportFiles(ctx)
	if err != nil {
		return reconcile.Summary{}, temporalError("report directory", err)
	}
	items, err := newItemWriter(files.Items)
	if err != nil {
		return reconcile.Summary{}, temporalError("report items", err)
	}
	defer items.abort()

	var h *healer
	if req.Heal {
		h = r.newHealer(ctx)
	}
	var prog struct {
		sync.Mutex
		p ReconcileProgress
	}
	beat := func() {
		prog.Lock()
		p := prog.p
		prog.Unlock()
		if h != nil {
			p.Healed = h.count()
		}
		heartbeat(ctx, p)
	}
	stop := r.keepBeating(ctx, beat)
	rep, err := reconcile.Run(ctx, reconcile.Sources{Odoo: r.odoo, Dotdigital: r.dd}, reconcile.Options{
		Mapping: r.mapping, PageSize: req.PageSize, TempDir: r.tempDir, ExcludePartners: excluded,
		Progress: func(done, total int) {
			prog.Lock()
			prog.p.Done, prog.p.Total = done, total
			prog.Unlock()
			beat()
		},
		OnItem: func(it reconcile.Item) error {
			if err := items.write(it); err != nil {
				return err
			}
			if h != nil {
				for _, key := range reconcile.HealKeys(it) {
					h.send(key)
				}
			}
			return nil
		},
	})
	healed, healFailed := 0, 0
	if h != nil {
		healed, healFailed = h.close()
	}
	stop()
	if err != nil {
		return reconcile.Summary{}, temporalError("reconcile", err)
	}
	if err := items.close(); err != nil {
		return reconcile.Summary{}, temporalError("report items", err)
	}
	if err := writeFileAtomic(files.JSON, func(w io.Writer) error { return reconcile.WriteJSON(w, rep) }); err != nil {
		return reconcile.Summary{}, temporalError("report json", err)
	}
	if err := writeFileAtomic(files.Text, func(w io.Writer) error { return reconcile.WriteText(w, rep, rep.MaxItemsPerKind) }); err != nil {
		return reconcile.Summary{}, temporalError("report text", err)
	}
	host, _ := os.Hostname()
	sum := reconcile.Summary{
		Report: reconcile.Summarize(rep, req.SummaryItems), Mismatches: reconcile.Mismatches(rep),
		Heal: req.Heal, Healed: healed, HealFailed: healFailed, Host: host, Files: files,
	}
	// Counts only: the items name customers (emails stay out of logs).
	r.logger.Info("reconciliation finished", "customers", rep.Customers, "mismatches", sum.Mismatches,
		"healed", healed, "heal_failed", healFailed, "report", files.JSON)
	return sum, nil
}

// reportFiles makes the report directory and names this run's files by the
// UTC start time and the workflow run (unique per run, stable per attempt).
func (r *Reconciler) reportFiles(ctx context.Context) (reconcile.Files, error) {
	if err := os.MkdirAll(r.reportDir, 0o700); err != nil {
		return reconcile.Files{}, err
	}
	dir, err := filepath.Abs(r.reportDir)
	if err != nil {
		return reconcile.Files{}, err
	}
	run := "local"
	if activity.IsActivity(ctx) {
		run = activity.GetInfo(ctx).WorkflowExecution.RunID
	}
	run = strings.ReplaceAll(run, "-", "")
	base := filepath.Join(dir, "reconcile-"+now().Format("20060102T150405Z")+"-"+run[:min(len(run), 8)])
	return reconcile.Files{JSON: base + ".json", Text: base + ".txt", Items: base + ".items.jsonl"}, nil
}

// keepBeating calls beat every heartbeatEvery until the returned stop is
// called.
func (r *Reconciler) keepBeating(ctx context.Context, beat func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(r.heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				beat()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// healer sends forced resync hints from a few goroutines; a customer's
// items arrive one after another (the comparison walks keys in order), so
// a repeat of the last key is dropped. The keys of one item may differ (a
// misplaced record names its holder and its owner); each is de-duplicated
// against the key sent just before it.
type healer struct {
	keys   chan string
	wg     sync.WaitGroup
	last   string
	ok     atomic.Int64
	failed atomic.Int64
}

func (r *Reconciler) newHealer(ctx context.Context) *healer {
	h := &healer{keys: make(chan string, 4*healWorkers)}
	var logged atomic.Bool
	for range healWorkers {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			for key := range h.keys {
				if ctx.Err() != nil {
					h.failed.Add(1)
					continue
				}
				hint := messages.Hint{Kind: messages.HintResync, Class: customer.ClassOrder, Force: true, SeenAt: now()}
				if err := RouteHint(ctx, r.temporal, r.hasher, r.queue, r.customerInput(key), key, hint); err != nil {
					h.failed.Add(1)
					if !logged.Swap(true) {
						r.logger.Warn("reconciliation: heal hint not delivered", "error", err)
					}
					continue
				}
				h.ok.Add(1)
			}
		}()
	}
	return h
}

// send queues a key (called from one goroutine at a time).
func (h *healer) send(key string) {
	if key == h.last {
		return
	}
	h.last = key
	h.keys <- key
}

func (h *healer) count() int { return int(h.ok.Load()) }

// close waits for the queued hints and returns how many were delivered and
// how many failed.
func (h *healer) close() (ok, failed int) {
	close(h.keys)
	h.wg.Wait()
	return int(h.ok.Load()), int(h.failed.Load())
}

// itemWriter streams every item to a JSON lines file (memory stays flat
// however many items a run finds); abort removes an unfinished file.
type itemWriter struct {
	path string
	f    *os.File
	w    *bufio.Writer
	enc  *json.Encoder
	done bool
}

func newItemWriter(path string) (*itemWriter, error) {
	f, err := os.OpenFile(path+".part", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	return &itemWriter{path: path, f: f, w: w, enc: json.NewEncoder(w)}, nil
}

func (i *itemWriter) write(it reconcile.Item) error { return i.enc.Encode(it) }

func (i *itemWriter) close() error {
	if err := i.w.Flush(); err != nil {
		return err
	}
	if err := i.f.Close(); err != nil {
		return err
	}
	i.done = true
	return os.Rename(i.path+".part", i.path)
}

func (i *itemWriter) abort() {
	if !i.done {
		_ = i.f.Close()
		_ = os.Remove(i.path + ".part")
	}
}

// writeFileAtomic writes a 0600 file through a temporary name, so that a
// reader never sees half a report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return os.Rename(tmp, path)
}
