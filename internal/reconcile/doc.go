// Package reconcile compares Odoo (the source of truth) with Dotdigital and
// reports, per customer key, what differs: customers missing in Dotdigital,
// contacts only in Dotdigital, data fields, purchase fields and Insight
// order records that disagree, order records on another customer's contact,
// duplicate contacts, list memberships, and the partners the sync skips for
// want of a valid email.
//
// A run reads both systems in full with a bounded number of paged calls,
// spills what it reads to sorted run files (an external merge sort), and
// compares one customer at a time while merging both sides by key, so that
// memory does not grow with the customer base. It never writes to either
// system; Healable, HealKeys and Report.HealKeys say which keys a resync
// repairs.
// See docs/reconciliation.md.
package reconcile
