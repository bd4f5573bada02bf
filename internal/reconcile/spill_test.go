package reconcile

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sort"
	"testing"
)

func TestSorterMergesManyRunsInOrder(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	a, b := newSorter(dir, "a", 2048), newSorter(dir, "b", 2048)
	var want []string
	for i := 0; i < 20000; i++ {
		key := fmt.Sprintf("k%05d", r.IntN(5000)) // many equal keys
		val := fmt.Sprintf("%s/%d", key, i)
		want = append(want, val)
		s := a
		if i%3 == 0 {
			s = b
		}
		if err := s.add(key, []byte(val)); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.runs)+len(b.runs) <= maxFanIn {
		t.Fatalf("only %d runs: the pre-merge is not exercised", len(a.runs)+len(b.runs))
	}
	var got []string
	last := ""
	err := mergeSorted(context.Background(), func(p pair) error {
		if p.key < last {
			return fmt.Errorf("key %s after %s", p.key, last)
		}
		last = p.key
		if string(p.val[:len(p.key)]) != p.key {
			return fmt.Errorf("value %s under key %s", p.val, p.key)
		}
		got = append(got, string(p.val))
		return nil
	}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged %d values, want %d (or they differ)", len(got), len(want))
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d run files left behind", len(left))
	}
}

func TestSorterCopiesValues(t *testing.T) {
	s := newSorter(t.TempDir(), "s", 1<<20)
	buf := []byte("first")
	if err := s.add("k", buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX")
	var got string
	if err := mergeSorted(context.Background(), func(p pair) error { got = string(p.val); return nil }, s); err != nil {
		t.Fatal(err)
	}
	if got != "first" {
		t.Fatalf("got %q: the sorter kept the caller's buffer", got)
	}
}

func TestMergeHonoursCancel(t *testing.T) {
	s := newSorter(t.TempDir(), "s", 512)
	for i := 0; i < 10000; i++ {
		if err := s.add(fmt.Sprintf("%06d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := mergeSorted(ctx, func(pair) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	}, s)
	if !errors.Is(err, context.Canceled) || n >= 10000 {
		t.Fatalf("err %v after %d pairs", err, n)
	}
}
