package reconcile

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// maxFanIn bounds the run files one merge reads at once (open files and
// read buffers); more runs are first merged into longer ones.
const maxFanIn = 64

// runReadBuffer is the read buffer of one run: at most maxFanIn are open.
// runWriteBuffer is the buffer of the one run being written.
const (
	runReadBuffer  = 16 << 10
	runWriteBuffer = 64 << 10
)

// pair is one spilled entry: the sort key and an opaque payload.
type pair struct {
	key string
	val []byte
}

// sorter is an external merge sort of (key, payload) pairs: it keeps at most
// limit bytes in memory, writes each full buffer to a sorted run file, and
// merges the runs back in key order. Memory stays flat however many pairs
// pass through it; disk holds them all. Not safe for concurrent use.
type sorter struct {
	dir   string
	name  string
	limit int
	buf   []pair
	size  int
	runs  []string
	seq   int
	// written counts the bytes written to run files, pre-merges included.
	written int64
}

func newSorter(dir, name string, limit int) *sorter {
	return &sorter{dir: dir, name: name, limit: limit}
}

// add stores a pair; val is copied (callers reuse their buffers).
func (s *sorter) add(key string, val []byte) error {
	s.buf = append(s.buf, pair{key: key, val: append([]byte(nil), val...)})
	s.size += len(key) + len(val) + 48 // 48: the pair and slice headers
	if s.size >= s.limit {
		return s.flush()
	}
	return nil
}

// flush writes the buffer as one sorted run.
func (s *sorter) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	sortPairs(s.buf)
	path, err := s.writeRun(func(w *bufio.Writer) error {
		for _, p := range s.buf {
			if err := writePair(w, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.runs = append(s.runs, path)
	clear(s.buf)
	s.buf, s.size = s.buf[:0], 0
	return nil
}

func (s *sorter) writeRun(fill func(*bufio.Writer) error) (string, error) {
	s.seq++
	path := filepath.Join(s.dir, fmt.Sprintf("%s-%05d.run", s.name, s.seq))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, runWriteBuffer)
	if err := fill(w); err != nil {
		f.Close()
		return "", err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if info, err := f.Stat(); err == nil {
		s.written += info.Size()
	}
	return path, f.Close()
}

func sortPairs(ps []pair) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].key < ps[j].key })
}

// finishRuns returns the sorted run files of every sorter, after flushing their
// buffers and pre-merging so that at most maxFanIn remain.
func finishRuns(ctx context.Context, sorters ...*sorter) ([]string, error) {
	var all []string
	for _, s := range sorters {
		if err := s.flush(); err != nil {
			return nil, err
		}
		all = append(all, s.runs...)
		s.runs = nil
	}
	if len(sorters) == 0 {
		return all, nil
	}
	s := sorters[0]
	for len(all) > maxFanIn {
		group := all[:maxFanIn]
		path, err := s.writeRun(func(w *bufio.Writer) error {
			return mergeRuns(ctx, group, func(p pair) error { return writePair(w, p) })
		})
		if err != nil {
			return nil, err
		}
		for _, g := range group {
			os.Remove(g)
		}
		all = append(all[maxFanIn:], path)
	}
	return all, nil
}

// mergeSorted calls fn for every pair held by the sorters, in key order.
// The sorters are empty afterwards.
func mergeSorted(ctx context.Context, fn func(p pair) error, sorters ...*sorter) error {
	runs, err := finishRuns(ctx, sorters...)
	if err != nil {
		return err
	}
	defer func() {
		for _, r := range runs {
			os.Remove(r)
		}
	}()
	return mergeRuns(ctx, runs, fn)
}

func mergeRuns(ctx context.Context, runs []string, fn func(p pair) error) error {
	h := &runHeap{}
	defer func() {
		for _, r := range h.readers {
			r.f.Close()
		}
	}()
	for _, path := range runs {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		r := &runReader{f: f, r: bufio.NewReaderSize(f, runReadBuffer), order: len(h.readers)}
		h.readers = append(h.readers, r)
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			h.live = append(h.live, r)
		}
	}
	heap.Init(h)
	for n := 0; h.Len() > 0; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r := h.live[0]
		if err := fn(r.cur); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

type runReader struct {
	f     *os.File
	r     *bufio.Reader
	cur   pair
	order int // breaks ties between equal keys, for a deterministic order
}

func (r *runReader) next() (bool, error) {
	klen, err := binary.ReadUvarint(r.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	key := make([]byte, klen)
	if _, err := io.ReadFull(r.r, key); err != nil {
		return false, err
	}
	vlen, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, err
	}
	val := make([]byte, vlen)
	if _, err := io.ReadFull(r.r, val); err != nil {
		return false, err
	}
	r.cur = pair{key: string(key), val: val}
	return true, nil
}

func writePair(w *bufio.Writer, p pair) error {
	var n [binary.MaxVarintLen64]byte
	if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(p.key)))]); err != nil {
		return err
	}
	if _, err := w.WriteString(p.key); err != nil {
		return err
	}
	if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(p.val)))]); err != nil {
		return err
	}
	_, err := w.Write(p.val)
	return err
}

type runHeap struct {
	readers []*runReader // every opened run, for closing
	live    []*runReader // runs with a current pair
}

func (h *runHeap) Len() int { return len(h.live) }
func (h *runHeap) Less(i, j int) bool {
	a, b := h.live[i], h.live[j]
	if a.cur.key != b.cur.key {
		return a.cur.key < b.cur.key
	}
	return a.order < b.order
}
func (h *runHeap) Swap(i, j int) { h.live[i], h.live[j] = h.live[j], h.live[i] }
func (h *runHeap) Push(x any)    { h.live = append(h.live, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := h.live
	x := old[len(old)-1]
	h.live = old[:len(old)-1]
	return x
}
