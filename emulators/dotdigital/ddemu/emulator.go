package ddemu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Emulator is an in-memory Dotdigital account served over HTTP. It is safe for concurrent use.
type Emulator struct {
	opts    Options
	log     *slog.Logger
	st      *store
	lim     *limiter
	dice    *faultDice
	targets *targetedFaults
	stats   *statsCollector
	router  *router
	handler http.Handler

	importDelay    atomic.Int64 // time.Duration
	perRecordDelay atomic.Int64 // time.Duration
	skipSuppressed atomic.Bool

	queues map[jobKind]chan *job
	done   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once

	srvMu sync.Mutex
	srv   *http.Server
	url   string
}

// New creates an emulator with the given options and starts its job workers.
// Call Close to stop them (and the server, if started).
func New(opts Options) (*Emulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		opts:    o,
		log:     o.Logger,
		st:      newStore(o.ContactIDBase),
		lim:     newLimiter(o),
		dice:    newFaultDice(o.faults(), o.Seed),
		targets: &targetedFaults{},
		stats:   newStatsCollector(),
		queues:  map[jobKind]chan *job{},
		done:    make(chan struct{}),
	}
	e.importDelay.Store(int64(o.ImportDelay))
	e.perRecordDelay.Store(int64(o.ImportDelayPerRecord))
	e.skipSuppressed.Store(o.ImportSkipsSuppressed)
	e.router = e.routes()
	e.handler = http.HandlerFunc(e.serve)
	for _, k := range []jobKind{jobContactImport, jobInsightImport, jobContactDelete, jobInsightAsync} {
		q := make(chan *job, queueCapacity)
		e.queues[k] = q
		e.wg.Add(1)
		go e.runQueue(q)
	}
	return e, nil
}

// Handler returns the HTTP handler of the API and the inspection page.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the background.
func (e *Emulator) Start(addr string) error {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	if e.srv != nil {
		return errors.New("ddemu: already started")
	}
	select {
	case <-e.done:
		return errors.New("ddemu: closed")
	default:
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ddemu: listen on %s: %w", addr, err)
	}
	e.srv = &http.Server{Handler: e.handler, ReadHeaderTimeout: 10 * time.Second}
	e.url = "http://" + hostForURL(ln.Addr().String())
	go func() {
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("dotdigital emulator stopped serving", "err", err)
		}
	}()
	e.log.Info("dotdigital emulator listening", "url", e.url)
	return nil
}

// hostForURL turns a listener address into a host:port usable in URLs
// (a wildcard listener is reached through the loopback address).
func hostForURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// URL is the base URL after Start, e.g. "http://127.0.0.1:8090" (no trailing slash).
func (e *Emulator) URL() string {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	return e.url
}

// Close stops the server (dropping open connections, which also ends
// injected hangs) and the job workers. Pending jobs are abandoned.
func (e *Emulator) Close() error {
	var err error
	e.closed.Do(func() {
		close(e.done)
		e.srvMu.Lock()
		srv := e.srv
		e.srvMu.Unlock()
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if shutdownErr := srv.Shutdown(ctx); shutdownErr != nil {
				err = srv.Close()
			}
		}
		e.wg.Wait()
	})
	return err
}

// SetLimits replaces the per-tier limits at run time (0 or absent = unlimited).
// Calls already made in the current window still count.
func (e *Emulator) SetLimits(limits map[Tier]int) { e.lim.setLimits(limits) }

// SetFlatHourly switches the flat scheme on (n > 0, optional window) or off (n = 0).
func (e *Emulator) SetFlatHourly(n int, window time.Duration) { e.lim.setFlat(n, window) }

// SetFaults replaces the fault-injection knobs at run time.
func (e *Emulator) SetFaults(f Faults) error {
	f, err := f.normalised()
	if err != nil {
		return err
	}
	e.dice.set(f)
	return nil
}

// SetImportDelay changes the processing delay of jobs submitted from now on.
func (e *Emulator) SetImportDelay(d time.Duration) {
	if d < 0 {
		d = 0
	}
	e.importDelay.Store(int64(d))
}

// Stats returns a snapshot of the counters.
func (e *Emulator) Stats() Stats {
	s := e.stats.snapshot()
	e.st.mu.RLock()
	s.Contacts, s.BinnedContacts, s.InsightRecords, s.Lists = e.st.counts()
	e.st.mu.RUnlock()
	return s
}

// Suppress puts an email on the account's suppression list: the contact's
// email status becomes "suppressed" (the contact is created if missing).
// Upserts never lift it.
func (e *Emulator) Suppress(email string) error { return e.setOptOut(email, statusSuppressed) }

// Unsubscribe marks an email as unsubscribed (creating the contact if missing).
func (e *Emulator) Unsubscribe(email string) error { return e.setOptOut(email, statusUnsubscribed) }

func (e *Emulator) setOptOut(email, status string) error {
	em := normaliseEmail(email)
	if !validEmail(em) {
		return errors.New("ddemu: invalid email")
	}
	t := now()
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	c := e.st.byEmail[em]
	if c == nil || c.binned {
		w := contactWrite{email: em, hasEmail: true, emailStatus: status}
		if c != nil {
			e.st.purge(c)
		}
		e.st.create(&w, t)
		return nil
	}
	w := contactWrite{emailStatus: status}
	e.st.changeEmailStatus(c, &w, t)
	c.updated = t
	return nil
}

// CreateList creates an address book (list) and returns its id; an existing
// list of that name is returned as is.
func (e *Emulator) CreateList(name string) (int, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return 0, errors.New("ddemu: list name must be 1-128 characters")
	}
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	if b := e.st.bookByName(name); b != nil {
		return b.id, nil
	}
	if reservedBookName(name) {
		return 0, errors.New("ddemu: reserved list name")
	}
	return e.st.addBook(name, "Private", true).id, nil
}

// ContactInfo is a read-only view of one contact for tests and tools.
type ContactInfo struct {
	ContactID   int64
	Email       string
	Status      string // email channel status, e.g. "subscribed", "suppressed"
	Binned      bool
	Created     time.Time
	Updated     time.Time
	DataFields  map[string]any // set fields only, by upper-cased name
	Lists       []int
	InsightKeys map[string][]string // collection name -> record keys owned by the contact
}

// Contact returns the contact holding the email (binned ones included).
func (e *Emulator) Contact(email string) (ContactInfo, bool) {
	e.st.mu.RLock()
	defer e.st.mu.RUnlock()
	c := e.st.byEmail[normaliseEmail(email)]
	if c == nil {
		return ContactInfo{}, false
	}
	ci := ContactInfo{ContactID: c.id, Email: c.email, Status: c.emailStatus, Binned: c.binned,
		Created: c.created, Updated: c.updated, DataFields: map[string]any{}, Lists: append([]int(nil), c.lists...),
		InsightKeys: map[string][]string{}}
	for _, f := range e.st.fields {
		if v := c.value(f); v != nil {
			ci.DataFields[f.name] = v
		}
	}
	for _, col := range e.st.collections {
		for _, r := range col.byOwner[c.id] {
			ci.InsightKeys[col.name] = append(ci.InsightKeys[col.name], r.key)
		}
	}
	return ci, true
}
