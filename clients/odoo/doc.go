// Package odoo is the Odoo XML-RPC client of the sync service (Odoo 16, 17,
// 18; reference: shared/reference/odoo-api.md).
//
// A Client authenticates lazily and once (common.authenticate with the API
// key, concurrent first calls share it), detects the server version through
// common.version() and adapts field lists and state names to it. Each call
// has a timeout, honours its context and runs inside an OpenTelemetry span
// that carries no personal data.
//
// Errors are typed and sorted into classes (ClassOf, Retryable): *Fault for
// XML-RPC faults, *AuthError for refused credentials (not retried: the
// client fails fast until a cool-off passes, because Odoo locks out callers
// after repeated failures), *TransportError for network/HTTP/timeouts,
// *RequestError for requests it will not send. The client itself never
// retries; callers (Temporal activities) do, for ClassTransient only.
//
// Values are decoded into Record (map[string]any) with getters that read
// Odoo's False as the zero value. Domains are built with Term/And/Or/Not.
// Typed readers (partners, orders with lines, tags, companies, websites,
// merge notes) and the incremental reader Changes sit on the generic calls
// SearchRead, Search, Read, Create, Write, Unlink and Call.
package odoo
