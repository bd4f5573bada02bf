package odooemu

import (
	"math"
	"sort"
)

// okey orders records by (write_date, id), the cursor order of a poller.
type okey struct {
	t  tstamp
	id int64
}

func (a okey) less(b okey) bool { return a.t < b.t || (a.t == b.t && a.id < b.id) }

// orderedIndex is a sorted set of okeys kept in chunks, so inserts and
// removals cost O(sqrt n) and ranges are read in order.
type orderedIndex struct {
	chunks [][]okey
	n      int
}

const chunkMax = 1024

func (x *orderedIndex) locate(k okey) (ci, i int) {
	ci = sort.Search(len(x.chunks), func(j int) bool {
		c := x.chunks[j]
		return !c[len(c)-1].less(k)
	})
	if ci == len(x.chunks) {
		return ci, 0
	}
	c := x.chunks[ci]
	i = sort.Search(len(c), func(j int) bool { return !c[j].less(k) })
	return ci, i
}

func (x *orderedIndex) insert(k okey) {
	if len(x.chunks) == 0 {
		x.chunks = [][]okey{{k}}
		x.n = 1
		return
	}
	ci, i := x.locate(k)
	if ci == len(x.chunks) {
		ci = len(x.chunks) - 1
		i = len(x.chunks[ci])
	} else if i < len(x.chunks[ci]) && x.chunks[ci][i] == k {
		return
	}
	c := x.chunks[ci]
	c = append(c, okey{})
	copy(c[i+1:], c[i:])
	c[i] = k
	x.n++
	if len(c) > chunkMax {
		half := len(c) / 2
		right := append([]okey(nil), c[half:]...)
		x.chunks[ci] = c[:half:half]
		x.chunks = append(x.chunks, nil)
		copy(x.chunks[ci+2:], x.chunks[ci+1:])
		x.chunks[ci+1] = right
		return
	}
	x.chunks[ci] = c
}

func (x *orderedIndex) remove(k okey) {
	ci, i := x.locate(k)
	if ci == len(x.chunks) || i >= len(x.chunks[ci]) || x.chunks[ci][i] != k {
		return
	}
	c := x.chunks[ci]
	copy(c[i:], c[i+1:])
	c = c[:len(c)-1]
	x.n--
	if len(c) == 0 {
		x.chunks = append(x.chunks[:ci], x.chunks[ci+1:]...)
		return
	}
	x.chunks[ci] = c
}

// bulkLoad replaces the content with keys (any order); used by the seeder.
func (x *orderedIndex) bulkLoad(keys []okey) {
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	x.chunks = nil
	for len(keys) > 0 {
		n := min(chunkMax/2, len(keys))
		x.chunks = append(x.chunks, append([]okey(nil), keys[:n]...))
		keys = keys[n:]
	}
	x.n = 0
	for _, c := range x.chunks {
		x.n += len(c)
	}
}

// ascendFrom calls fn for keys >= from in ascending order until fn is false.
func (x *orderedIndex) ascendFrom(from okey, fn func(okey) bool) {
	ci, i := x.locate(from)
	for ; ci < len(x.chunks); ci++ {
		c := x.chunks[ci]
		for ; i < len(c); i++ {
			if !fn(c[i]) {
				return
			}
		}
		i = 0
	}
}

// descendFrom calls fn for keys <= from in descending order until fn is false.
func (x *orderedIndex) descendFrom(from okey, fn func(okey) bool) {
	var ci, i int
	switch {
	case from.t == math.MaxInt64 && from.id == math.MaxInt64:
		ci = len(x.chunks) // from the very end (t+1 would overflow)
	case from.id == math.MaxInt64:
		ci, i = x.locate(okey{from.t + 1, math.MinInt64})
	default:
		ci, i = x.locate(okey{from.t, from.id + 1})
	}
	if ci == len(x.chunks) {
		if ci == 0 {
			return
		}
		ci--
		i = len(x.chunks[ci])
	}
	for {
		c := x.chunks[ci]
		for i--; i >= 0; i-- {
			if !fn(c[i]) {
				return
			}
		}
		ci--
		if ci < 0 {
			return
		}
		i = len(x.chunks[ci])
	}
}

// hashIndex maps a field value (int64 id or string) to the ids holding it.
// Empty values (0, "") are not indexed.
type hashIndex struct {
	ints map[int64][]int64
	strs map[string][]int64
}

func newHashIndex() *hashIndex {
	return &hashIndex{ints: map[int64][]int64{}, strs: map[string][]int64{}}
}

func (h *hashIndex) addInt(v, id int64) {
	if v != 0 {
		h.ints[v] = append(h.ints[v], id)
	}
}

func (h *hashIndex) removeInt(v, id int64) {
	if v == 0 {
		return
	}
	h.ints[v] = removeID(h.ints[v], id)
	if len(h.ints[v]) == 0 {
		delete(h.ints, v)
	}
}

func (h *hashIndex) addStr(v string, id int64) {
	if v != "" {
		h.strs[v] = append(h.strs[v], id)
	}
}

func (h *hashIndex) removeStr(v string, id int64) {
	if v == "" {
		return
	}
	h.strs[v] = removeID(h.strs[v], id)
	if len(h.strs[v]) == 0 {
		delete(h.strs, v)
	}
}

func removeID(s []int64, id int64) []int64 {
	for i, x := range s {
		if x == id {
			s[i] = s[len(s)-1]
			return s[:len(s)-1]
		}
	}
	return s
}
