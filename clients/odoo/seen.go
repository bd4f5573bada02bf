package odoo

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sort"
)

// seenSet remembers which row versions the incremental reader has emitted
// within the overlap window: (id, write_date second) -> fingerprint of the
// row's fields. A re-read of the same version is skipped; a new write_date,
// or new content within the same second, is emitted again.
type seenSet struct {
	m map[seenKey]uint32
}

type seenKey struct{ id, sec int64 }

func newSeenSet() seenSet { return seenSet{m: map[seenKey]uint32{}} }

func (s seenSet) get(id, sec int64) (uint32, bool) {
	fp, ok := s.m[seenKey{id, sec}]
	return fp, ok
}

func (s seenSet) put(id, sec int64, fp uint32) { s.m[seenKey{id, sec}] = fp }

func (s seenSet) len() int { return len(s.m) }

func (s seenSet) countAt(sec int64) int {
	n := 0
	for k := range s.m {
		if k.sec == sec {
			n++
		}
	}
	return n
}

// prune forgets entries older than minSec.
func (s seenSet) prune(minSec int64) {
	for k := range s.m {
		if k.sec < minSec {
			delete(s.m, k)
		}
	}
}

// bound evicts whole seconds, oldest first, until at most max entries
// remain. It returns the second after the newest evicted one (0 if none):
// below it the set is no longer complete.
func (s seenSet) bound(max int) int64 {
	if len(s.m) <= max {
		return 0
	}
	counts := map[int64]int{}
	for k := range s.m {
		counts[k.sec]++
	}
	secs := make([]int64, 0, len(counts))
	for sec := range counts {
		secs = append(secs, sec)
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	n, floor := len(s.m), int64(0)
	for _, sec := range secs {
		if n <= max {
			break
		}
		n -= counts[sec]
		floor = sec + 1
	}
	s.prune(floor)
	return floor
}

// groups returns, per second in [lo, hi], the sorted ids seen.
func (s seenSet) groups(lo, hi int64) map[int64][]int64 {
	out := map[int64][]int64{}
	for k := range s.m {
		if k.sec >= lo && k.sec <= hi {
			out[k.sec] = append(out[k.sec], k.id)
		}
	}
	for _, ids := range out {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return out
}

func (s seenSet) sortedKeys() []seenKey {
	keys := make([]seenKey, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].sec != keys[j].sec {
			return keys[i].sec < keys[j].sec
		}
		return keys[i].id < keys[j].id
	})
	return keys
}

const seenFormat = 1

// encode packs the set compactly (about 8 bytes per entry before base64):
// entries sorted by (second, id), second and id delta-encoded as uvarints,
// then the 4-byte fingerprint.
func (s seenSet) encode() string {
	if len(s.m) == 0 {
		return ""
	}
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+len(s.m)*10)
	buf = append(buf, seenFormat)
	buf = binary.AppendUvarint(buf, uint64(len(s.m)))
	var prevSec, prevID int64
	for i, k := range s.sortedKeys() {
		if i == 0 || k.sec != prevSec {
			prevID = 0
		}
		buf = binary.AppendUvarint(buf, uint64(k.sec-prevSec))
		buf = binary.AppendUvarint(buf, uint64(k.id-prevID))
		buf = binary.LittleEndian.AppendUint32(buf, s.m[k])
		prevSec, prevID = k.sec, k.id
	}
	return base64.RawURLEncoding.EncodeToString(buf)
}

var errBadSeen = errors.New("cursor seen-set is corrupt")

func decodeSeen(str string) (seenSet, error) {
	s := newSeenSet()
	if str == "" {
		return s, nil
	}
	buf, err := base64.RawURLEncoding.DecodeString(str)
	if err != nil || len(buf) < 2 || buf[0] != seenFormat {
		return newSeenSet(), errBadSeen
	}
	buf = buf[1:]
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return newSeenSet(), errBadSeen
	}
	buf = buf[k:]
	var sec, id int64
	for i := uint64(0); i < n; i++ {
		ds, k1 := binary.Uvarint(buf)
		if k1 <= 0 || ds > 1<<40 {
			return newSeenSet(), errBadSeen
		}
		buf = buf[k1:]
		di, k2 := binary.Uvarint(buf)
		if k2 <= 0 || di > 1<<62 || len(buf) < k2+4 {
			return newSeenSet(), errBadSeen
		}
		if i == 0 || ds != 0 {
			id = 0
		}
		sec += int64(ds)
		id += int64(di)
		if id <= 0 || sec < 0 {
			return newSeenSet(), errBadSeen
		}
		s.m[seenKey{id, sec}] = binary.LittleEndian.Uint32(buf[k2:])
		buf = buf[k2+4:]
	}
	if len(buf) != 0 {
		return newSeenSet(), errBadSeen
	}
	return s, nil
}

// fingerprint hashes a row's content. encoding/json sorts map keys, and the
// decoded value types are stable, so equal content gives equal hashes. A
// many-to-one counts by its id only: its display name is the target's
// (renaming a partner must not make every order of the partner look changed).
func fingerprint(r Record) uint32 {
	h := fnv.New32a()
	content := make(map[string]any, len(r))
	for k, v := range r {
		if pair, ok := v.([]any); ok && len(pair) == 2 {
			if _, isName := pair[1].(string); isName {
				v = pair[0]
			}
		}
		content[k] = v
	}
	b, err := json.Marshal(content)
	if err != nil {
		// Only NaN/Inf floats fail, and XML-RPC cannot carry those.
		return 0
	}
	_, _ = h.Write(b)
	return h.Sum32()
}
