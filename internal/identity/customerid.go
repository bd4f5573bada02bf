package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// CustomerIDPrefix starts every customer workflow ID.
const CustomerIDPrefix = "customer-"

// Hasher turns customer keys into opaque, stable workflow IDs with a keyed
// hash, so that an ID reveals nothing without the secret but ops tools that
// hold the secret can resolve an email to its workflow.
type Hasher struct{ secret []byte }

// NewHasher returns a Hasher for the given secret. The secret must be the same
// on every worker and starter of a deployment, or IDs will not match.
func NewHasher(secret string) Hasher { return Hasher{secret: []byte(secret)} }

// CustomerID returns the workflow ID for a normalised email.
func (h Hasher) CustomerID(key string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte(key))
	return CustomerIDPrefix + hex.EncodeToString(m.Sum(nil))[:32]
}
