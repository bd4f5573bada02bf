package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/dotdigital"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/clients/odoo"
	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/internal/names"
)

// temporalError turns a client error into a Temporal application error with
// the right retry class; a 429 carries the API's reset time as NextRetryDelay.
func temporalError(op string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err // already classified further down
	}
	msg := op + ": " + err.Error()
	if d, ok := dotdigital.RetryAfter(err); ok && dotdigital.IsRateLimited(err) {
		return temporal.NewApplicationErrorWithOptions(msg, names.ErrRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: d, Cause: err})
	}
	switch {
	case odoo.ClassOf(err) == odoo.ClassAuth:
		return temporal.NewApplicationErrorWithOptions(msg, names.ErrOdooAuth, temporal.ApplicationErrorOptions{NonRetryable: true})
	case dotdigital.IsAuth(err):
		return temporal.NewApplicationErrorWithOptions(msg, names.ErrDotdigitalAuth, temporal.ApplicationErrorOptions{NonRetryable: true})
	case retryable(err):
		return temporal.NewApplicationErrorWithOptions(msg, names.ErrTransient, temporal.ApplicationErrorOptions{Cause: err})
	}
	return temporal.NewApplicationErrorWithOptions(msg, names.ErrNonRetryable, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// retryable reports whether a client error is worth retrying.
func retryable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return odoo.Retryable(err) || dotdigital.Retryable(err)
}

// rejection is a non-retryable Dotdigital answer about one customer's data:
// the customer is parked as blocked with this reason.
type rejection struct {
	Reason string
	Detail string
	Record string
}

// rejectionOf classifies a non-retryable Dotdigital error for a customer.
func rejectionOf(err error, record string) rejection {
	r := rejection{Reason: "contact_rejected", Detail: err.Error(), Record: record}
	var owned *ownedElsewhere
	switch {
	case errors.As(err, &owned):
		r.Reason = "record_owned_elsewhere"
	case dotdigital.IsInvalidEmail(err):
		r.Reason = "invalid_email"
	case dotdigital.IsConflict(err):
		r.Reason = "email_conflict"
	case record != "":
		r.Reason = "rejected_record"
	}
	if len(r.Detail) > 300 {
		r.Detail = r.Detail[:300]
	}
	return r
}

// blocking reports whether err should park the customer rather than retry:
// a non-retryable Dotdigital rejection that is not an account-wide problem.
func blocking(err error) bool {
	if err == nil || retryable(err) || dotdigital.IsAuth(err) || odoo.ClassOf(err) == odoo.ClassAuth {
		return false
	}
	var api *dotdigital.APIError
	var val *dotdigital.ValidationError
	var rec *dotdigital.InsightRecordError
	var conflict *dotdigital.EmailConflictError
	var owned *ownedElsewhere
	return errors.As(err, &owned) || errors.As(err, &api) || errors.As(err, &val) || errors.As(err, &rec) || errors.As(err, &conflict)
}
