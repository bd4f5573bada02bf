package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// misplacedFinder finds Insight records held by the contact of one key that
// are orders of another customer in Odoo (an email change or a merge moved
// the order, the record stayed). The comparison walks one key at a time and
// sees such a record only as "extra" on the holder and, later or earlier,
// "missing" on the owner; the two sides meet here without a map in memory:
//
//  1. during the walk, every extra record spills (record key -> holder) and
//     every missing one (record key -> owner) into a sorter by record key;
//  2. after the walk, merging it puts both sides of a record key next to
//     each other; each (owner, holder) match spills into a second sorter by
//     owner and holder;
//  3. merging that one gives each (owner, holder) pair with all its record
//     keys: one misplaced_record item per pair.
//
// Only mismatched records pass through it, so a consistent account spills
// nothing. Not safe for concurrent use.
type misplacedFinder struct {
	byRecord *sorter
	byPair   *sorter
}

func newMisplacedFinder(dir string, spillBytes int) *misplacedFinder {
	return &misplacedFinder{byRecord: newSorter(dir, "misplaced-record", spillBytes),
		byPair: newSorter(dir, "misplaced-pair", spillBytes)}
}

// recordSide is one side of a record key: the contact that holds it
// (Holder, ContactID) or the customer that should (Owner).
type recordSide struct {
	Holder    string `json:"h,omitempty"`
	ContactID int64  `json:"c,omitempty"`
	Owner     string `json:"o,omitempty"`
}

// placedRecord is one misplaced record of an (owner, holder) pair.
type placedRecord struct {
	Key       string `json:"r"`
	ContactID int64  `json:"c"`
}

// held notes a record that contactID (of key holder) holds but no order of
// holder's customer has.
func (f *misplacedFinder) held(recordKey, holder string, contactID int64) error {
	return f.spillSide(recordKey, recordSide{Holder: holder, ContactID: contactID})
}

// wanted notes a record that owner's customer should have but none of its
// contacts holds.
func (f *misplacedFinder) wanted(recordKey, owner string) error {
	return f.spillSide(recordKey, recordSide{Owner: owner})
}

func (f *misplacedFinder) spillSide(recordKey string, side recordSide) error {
	b, err := json.Marshal(side)
	if err != nil {
		return err
	}
	return f.byRecord.add(recordKey, b)
}

// report emits one misplaced_record item per (owner, holder) pair, in owner
// then holder order.
func (f *misplacedFinder) report(ctx context.Context, emit func(Item) error) error {
	if err := f.matchSides(ctx); err != nil {
		return err
	}
	return f.emitPairs(ctx, emit)
}

// matchSides merges the record sides by record key and spills every
// (owner, holder) match of one key by pair.
func (f *misplacedFinder) matchSides(ctx context.Context) error {
	var key string
	var sides []recordSide
	match := func() error {
		for _, owner := range sides {
			if owner.Owner == "" {
				continue
			}
			for _, holder := range sides {
				if holder.Holder == "" || holder.Holder == owner.Owner {
					continue
				}
				b, err := json.Marshal(placedRecord{Key: key, ContactID: holder.ContactID})
				if err != nil {
					return err
				}
				if err := f.byPair.add(pairKey(owner.Owner, holder.Holder), b); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := mergeSorted(ctx, func(p pair) error {
		if p.key != key {
			if err := match(); err != nil {
				return err
			}
			key, sides = p.key, sides[:0]
		}
		var s recordSide
		if err := json.Unmarshal(p.val, &s); err != nil {
			return err
		}
		sides = append(sides, s)
		return nil
	}, f.byRecord)
	if err != nil {
		return err
	}
	return match()
}

// emitPairs merges the matches by (owner, holder) and emits one item each.
func (f *misplacedFinder) emitPairs(ctx context.Context, emit func(Item) error) error {
	var cur string
	var recs []placedRecord
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		owner, holder := splitPairKey(cur)
		return emit(misplacedItem(owner, holder, recs))
	}
	err := mergeSorted(ctx, func(p pair) error {
		if p.key != cur {
			if err := flush(); err != nil {
				return err
			}
			cur, recs = p.key, recs[:0]
		}
		var r placedRecord
		if err := json.Unmarshal(p.val, &r); err != nil {
			return err
		}
		recs = append(recs, r)
		return nil
	}, f.byPair)
	if err != nil {
		return err
	}
	return flush()
}

// written is what the finder spilled to disk.
func (f *misplacedFinder) written() int64 { return f.byRecord.written + f.byPair.written }

// pairKey sorts by owner, then holder: NUL sorts before every byte of an
// email, so an owner that is a prefix of another still sorts first.
func pairKey(owner, holder string) string { return owner + "\x00" + holder }

func splitPairKey(k string) (owner, holder string) {
	owner, holder, _ = strings.Cut(k, "\x00")
	return owner, holder
}

// maxDetailRecords caps the record keys a misplaced item's Detail names
// (MisplacedRecords has them all).
const maxDetailRecords = 10

func misplacedItem(owner, holder string, recs []placedRecord) Item {
	it := Item{Kind: KindMisplacedRecord, Key: owner, HolderKey: holder}
	// Two contacts of the holder's key may hold the same record.
	keys, contacts := map[string]bool{}, map[int64]bool{}
	for _, r := range recs {
		if !keys[r.Key] {
			keys[r.Key] = true
			it.MisplacedRecords = append(it.MisplacedRecords, r.Key)
		}
		if !contacts[r.ContactID] {
			contacts[r.ContactID] = true
			it.ContactIDs = append(it.ContactIDs, r.ContactID)
		}
	}
	sortRecordKeys(it.MisplacedRecords)
	sort.Slice(it.ContactIDs, func(i, j int) bool { return it.ContactIDs[i] < it.ContactIDs[j] })
	it.Detail = misplacedDetail(it)
	return it
}

// misplacedDetail reads "order 123 is on the contact of x@... (contact 7),
// belongs to y@...".
func misplacedDetail(it Item) string {
	keys := it.MisplacedRecords
	shown := strings.Join(keys[:min(len(keys), maxDetailRecords)], ", ")
	if len(keys) > maxDetailRecords {
		shown += fmt.Sprintf(" (+%d more)", len(keys)-maxDetailRecords)
	}
	what, verbs := "order", [2]string{"is", "belongs"}
	if len(keys) > 1 {
		what, verbs = "orders", [2]string{"are", "belong"}
	}
	return fmt.Sprintf("%s %s %s on the contact of %s (%s %s), %s to %s",
		what, shown, verbs[0], it.HolderKey, plural(len(it.ContactIDs), "contact"), joinIDs(it.ContactIDs), verbs[1], it.Key)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
