// Package ddemu emulates the parts of the Dotdigital REST API that the
// Odoo -> Dotdigital sync uses: v3 contacts (single upserts, bulk imports,
// listings), v2 data fields, v2 address books and contacts, v3 Insight data,
// per-tier call-rate limits with the X-RateLimit-* headers, the legacy flat
// hourly cap, asynchronous job processing and fault injection.
//
// Behaviour follows /work/shared/reference/dotdigital-api.md; every choice made
// where the reference says UNCONFIRMED is listed in docs/emulator-dotdigital.md.
// The emulator speaks only HTTP: tests drive it through net/http as a real
// client would, and use the Go knobs (SetLimits, SetFaults, InjectFault,
// Suppress, Stats) only to arrange conditions and observe counters.
package ddemu
