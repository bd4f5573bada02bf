package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/app"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/config"
)

// The backfill and memory scenarios run the worker in a child process (this
// binary again, with childEnv set) against the Temporal server and the
// emulators in the parent, so that the worker's memory is measured on its
// own, as it is in production, where the worker connects to a Temporal
// cluster. The parent talks to it over stdin/stdout, one line each way:
// "reset" (collect, return memory to the OS, restart the peaks) answers
// "OK"; "stats" answers "STATS <json>". EOF on stdin stops the worker.
const (
	childEnv        = "BENCH_WORKER_CHILD"
	childProfileEnv = "BENCH_WORKER_CPUPROFILE"
	childVerboseEnv = "BENCH_WORKER_VERBOSE"
)

// memStats is what the worker process reports about its memory.
type memStats struct {
	// PeakHeap is the largest Go heap (live and not yet collected objects,
	// like HeapAlloc) seen by sampling every 50 ms since the last reset.
	PeakHeap uint64 `json:"peakHeap"`
	// LiveHeapP50 and LiveHeapMax are the live heap as of each GC
	// (/gc/heap/live:bytes), sampled over the same period.
	LiveHeapP50 uint64 `json:"liveHeapP50"`
	LiveHeapMax uint64 `json:"liveHeapMax"`
	// HeapAfterGC is the heap right after a forced GC when the stats were asked.
	HeapAfterGC uint64 `json:"heapAfterGC"`
	// PeakRSS is VmHWM since the last reset (/proc/self/clear_refs), RSS now.
	PeakRSS    uint64 `json:"peakRSS"`
	RSS        uint64 `json:"rss"`
	Goroutines int    `json:"goroutines"`
	NumGC      uint32 `json:"numGC"`
	Samples    int    `json:"samples"`
}

// runWorkerChild is the child's main: the service from the environment
// (as `go run ./worker` reads it), sampling its own memory.
func runWorkerChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if path := os.Getenv(childProfileEnv); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
	}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv(childVerboseEnv) != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s := newSampler()
	go s.run(ctx)
	cfg, err := config.Load(nil, os.Getenv)
	if err == nil {
		err = cfg.Validate()
	}
	var a *app.App
	if err == nil {
		a, err = app.Start(ctx, cfg, logger, app.Options{Getenv: os.Getenv})
	}
	if err != nil {
		fmt.Println("FAILED", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	fmt.Println("READY")
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case line, ok := <-lines:
			if !ok {
				break loop
			}
			switch line {
			case "reset":
				s.reset()
				fmt.Println("OK")
			case "stats":
				b, _ := json.Marshal(s.stats())
				fmt.Println("STATS " + string(b))
			}
		}
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.Stop(stopCtx)
	return 0
}

// sampler follows the process's heap.
type sampler struct {
	mu       sync.Mutex
	peakHeap uint64
	live     []uint64
}

func newSampler() *sampler { return &sampler{} }

func (s *sampler) run(ctx context.Context) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(samples)
		s.mu.Lock()
		if v := samples[0].Value.Uint64(); v > s.peakHeap {
			s.peakHeap = v
		}
		if len(s.live) < 1<<20 {
			s.live = append(s.live, samples[1].Value.Uint64())
		}
		s.mu.Unlock()
	}
}

func (s *sampler) reset() {
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets the peak resident set size (VmHWM).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	s.mu.Lock()
	s.peakHeap, s.live = 0, nil
	s.mu.Unlock()
}

func (s *sampler) stats() memStats {
	s.mu.Lock()
	st := memStats{PeakHeap: s.peakHeap, Samples: len(s.live)}
	live := append([]uint64(nil), s.live...)
	s.mu.Unlock()
	if len(live) > 0 {
		sort.Slice(live, func(i, j int) bool { return live[i] < live[j] })
		st.LiveHeapP50, st.LiveHeapMax = live[len(live)/2], live[len(live)-1]
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.HeapAfterGC, st.NumGC, st.Goroutines = ms.HeapAlloc, ms.NumGC, runtime.NumGoroutine()
	st.PeakRSS, st.RSS = procStatus("VmHWM:"), procStatus("VmRSS:")
	return st
}

// procStatus reads a kB figure of /proc/self/status in bytes.
func procStatus(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// workerProc is the parent's handle on a worker child.
type workerProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	mu    sync.Mutex
}

// startWorkerProc starts this binary as a worker with the environment and
// waits until it runs.
func startWorkerProc(ctx context.Context, env []string, verbose bool) (*workerProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	w := &workerProc{cmd: exec.Command(exe), lines: make(chan string, 16)}
	w.cmd.Env = append(append(serviceFreeEnviron(), env...), childEnv+"=1")
	if verbose {
		w.cmd.Env = append(w.cmd.Env, childVerboseEnv+"=1")
		w.cmd.Stderr = os.Stderr
	}
	if w.in, err = w.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
	}()
	line, err := w.await(ctx, 2*time.Minute, "READY", "FAILED")
	if err != nil {
		w.kill()
		return nil, fmt.Errorf("worker process: %w", err)
	}
	if strings.HasPrefix(line, "FAILED") {
		w.kill()
		return nil, fmt.Errorf("worker process: %s", line)
	}
	return w, nil
}

// serviceFreeEnviron is this process's environment without the service's
// own settings, so that only the rig's configuration reaches the worker.
func serviceFreeEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "ODOO_"), strings.HasPrefix(kv, "DOTDIGITAL_"), strings.HasPrefix(kv, "SYNC_"), strings.HasPrefix(kv, "TEMPORAL_"):
		default:
			out = append(out, kv)
		}
	}
	return out
}

func (w *workerProc) await(ctx context.Context, timeout time.Duration, prefixes ...string) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
			return "", errors.New("no answer")
		case line, ok := <-w.lines:
			if !ok {
				return "", errors.New("exited")
			}
			for _, p := range prefixes {
				if strings.HasPrefix(line, p) {
					return line, nil
				}
			}
		}
	}
}

// reset restarts the child's peak figures (after a collection).
func (w *workerProc) reset(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := io.WriteString(w.in, "reset\n"); err != nil {
		return err
	}
	_, err := w.await(ctx, time.Minute, "OK")
	return err
}

func (w *workerProc) stats(ctx context.Context) (memStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var st memStats
	if _, err := io.WriteString(w.in, "stats\n"); err != nil {
		return st, err
	}
	line, err := w.await(ctx, time.Minute, "STATS ")
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal([]byte(strings.TrimPrefix(line, "STATS ")), &st)
}

// stop ends the worker gracefully (EOF on stdin), or kills it after a while.
func (w *workerProc) stop() {
	_ = w.in.Close()
	done := make(chan struct{})
	go func() { _ = w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(45 * time.Second):
		_ = w.cmd.Process.Kill()
		<-done
	}
}

// kill ends a worker that failed to start.
func (w *workerProc) kill() {
	_ = w.in.Close()
	_ = w.cmd.Process.Kill()
	_ = w.cmd.Wait()
}
