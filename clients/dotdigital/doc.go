// Package dotdigital is the client for the Dotdigital REST API (v2 data
// fields, address books and account info; v3 contacts and insight data) used
// by the sync service.
//
// Callers rely on three guarantees:
//
//   - Every failure is classified: *APIError (server answered with an error
//     status), *RateLimitedError (429 or the flat hourly cap), *TransportError
//     (network, timeout), *ValidationError (refused before any request, e.g.
//     an invalid email). Retryable and RetryAfter answer "should I try again,
//     and when" for any of them; the Is* predicates and sentinel errors answer
//     "what happened" without string matching.
//   - No credentials and no email addresses appear in error strings, logs or
//     span attributes; routes are reported as templates
//     (/contacts/v3/email/{value}).
//   - Emails are trimmed and lower-cased at this boundary, and the sync can
//     never change a contact's subscription status through this package: no
//     method sends channelProperties or status.
//
// The client never retries on its own, except to rediscover the regional
// endpoint once after a "403 Access is denied"; retry policy belongs to the
// caller (Temporal activities), which this package informs through
// Retryable, RetryAfter and the rate-limit observations (RateLimit,
// Config.OnRateLimit).
package dotdigital
