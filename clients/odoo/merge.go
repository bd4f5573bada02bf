package odoo

import (
	"context"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ModelMessage is mail.message.
const ModelMessage = "mail.message"

// mergeNotePrefix starts the chatter note the mail module posts on the
// destination partner after a merge (reference 5.3). Odoo translates it into
// the merging user's language; only the English text is searched.
const mergeNotePrefix = "Merged with the following partners"

// MergeNote is one partner merge, read from the destination's chatter.
type MergeNote struct {
	MessageID     int64
	DestinationID int64
	// SourceIDs are the merged (now deleted) partners, parsed from the note.
	// The note quotes partner names, which anyone can choose: confirm with
	// ExistingIDs before acting on a source id.
	SourceIDs []int64
	Date      time.Time
}

var (
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
	mergeIDRef = regexp.MustCompile(`(?i)\(\s*id\s*[:#]?\s*(\d{1,18})\s*\)`)
)

// ParseMergeNote extracts the source partner ids from a merge note body,
// e.g. "<p>Merged with the following partners: Jane &lt;jane@x.com&gt; (ID 12),
// Bob &lt;n/a&gt; (ID 13)</p>" (16/17), or the 18 "A, B, and C" list form.
// ok is false when the body is not a merge note.
func ParseMergeNote(body string) (ids []int64, ok bool) {
	// Drop tags first: after unescaping, "<jane@x.com>" would look like one.
	text := html.UnescapeString(htmlTag.ReplaceAllString(body, " "))
	// The index must be valid in text itself: strings.ToLower can change the
	// byte length (invalid UTF-8 becomes U+FFFD, 'İ' becomes 'i'), so fold
	// ASCII letters only; the prefix is ASCII.
	i := strings.Index(asciiLower(text), asciiLower(mergeNotePrefix))
	if i < 0 {
		return nil, false
	}
	seen := map[int64]bool{}
	for _, m := range mergeIDRef.FindAllStringSubmatch(text[i+len(mergeNotePrefix):], -1) {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids, true
}

// asciiLower lower-cases A-Z and keeps every other byte, so indices into the
// result are indices into s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// MergeNotesSince returns merge notes on partners with message id >
// afterMessageID, oldest first, at most limit (default DefaultPageSize).
// The last MessageID is the next cursor. Needs read access to the partners'
// chatter; notes written in another language are not found (the id-existence
// check through ExistingIDs is the fallback).
func (c *Client) MergeNotesSince(ctx context.Context, afterMessageID int64, limit int) ([]MergeNote, error) {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	dom := And(
		Term("model", OpEq, ModelPartner),
		Term("id", OpGt, afterMessageID),
		Term("body", OpILike, mergeNotePrefix),
	)
	recs, err := c.SearchRead(ctx, ModelMessage, dom, []string{"id", "res_id", "body", "date"},
		ReadOptions{Limit: limit, Order: "id asc"})
	if err != nil {
		return nil, err
	}
	out := make([]MergeNote, 0, len(recs))
	for _, r := range recs {
		// The ilike already matched; keep a note even if its list does not
		// parse, so the caller's cursor moves past it and the destination
		// is still resynced.
		ids, _ := ParseMergeNote(r.String("body"))
		dst := r.Int("res_id")
		var src []int64
		for _, id := range ids {
			if id != dst {
				src = append(src, id)
			}
		}
		out = append(out, MergeNote{MessageID: r.ID(), DestinationID: dst, SourceIDs: src, Date: r.Time("date")})
	}
	return out, nil
}
