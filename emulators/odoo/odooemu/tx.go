package odooemu

import (
	"context"
	"errors"
	"time"
)

// Tx is an open database transaction, for reproducing late commits: every
// record it writes gets write_date = the transaction's start time, and no
// other caller sees its changes until Commit (they keep seeing the
// before-images). Writing a row another open transaction holds fails like
// PostgreSQL's serialization failure (Fault 1).
type Tx struct {
	e    *Emulator
	t    *txn
	c    *callCtx
	err  error
	done bool
}

// ErrTxDone is returned by calls on a committed, rolled back or failed Tx.
var ErrTxDone = errors.New("odooemu: transaction already finished")

// Begin opens a transaction as the admin user, starting now.
func (e *Emulator) Begin() *Tx {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	return &Tx{e: e, t: e.s.begin(e.clk.now(), adminUID)}
}

// Start is the transaction start time: the write_date of what it writes.
func (tx *Tx) Start() time.Time { return tx.t.now.time() }

// Call runs model.method inside the transaction. An error aborts the whole
// transaction (rolled back), as PostgreSQL does.
func (tx *Tx) Call(model, method string, args []any, kwargs map[string]any) (any, error) {
	if tx.done {
		return nil, ErrTxDone
	}
	tx.e.count(model + "." + method)
	res, err := tx.e.run(context.Background(), adminUID, model, method, args, kwargs, tx)
	return plain(res), err
}

func (tx *Tx) exec(ctxMap map[string]any, call func(*callCtx) (any, error)) (any, error) {
	s := tx.e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if tx.done {
		return nil, ErrTxDone
	}
	c, err := tx.e.newCallCtx(tx.t, adminUID, ctxMap)
	if err != nil {
		return nil, err
	}
	tx.c = c
	res, err := call(c)
	if err != nil {
		tx.t.rollback()
		tx.done = true
		tx.err = err
		return nil, err
	}
	return res, nil
}

// Create is Call(model, "create", [vals]).
func (tx *Tx) Create(model string, vals map[string]any) (int64, error) {
	res, err := tx.Call(model, "create", []any{vals}, nil)
	if err != nil {
		return 0, err
	}
	return res.(int64), nil
}

// Write is Call(model, "write", [ids, vals]).
func (tx *Tx) Write(model string, ids []int64, vals map[string]any) error {
	_, err := tx.Call(model, "write", []any{int64sToAny(ids), vals}, nil)
	return err
}

// Unlink is Call(model, "unlink", [ids]).
func (tx *Tx) Unlink(model string, ids []int64) error {
	_, err := tx.Call(model, "unlink", []any{int64sToAny(ids)}, nil)
	return err
}

// Commit makes the changes visible, sending webhooks as a call would.
func (tx *Tx) Commit() error {
	s := tx.e.s
	s.mu.Lock()
	if tx.done {
		s.mu.Unlock()
		if tx.err != nil {
			return tx.err
		}
		return ErrTxDone
	}
	tx.done = true
	hooks := tx.e.hooks
	if hooks == nil || len(tx.t.hooks) == 0 || tx.c == nil {
		tx.t.commit()
		s.mu.Unlock()
		return nil
	}
	if tx.e.opts.WebhookTiming == "precommit" {
		payloads := hooks.build(tx.c, tx.t.hooks)
		s.mu.Unlock()
		hooks.send(context.Background(), payloads)
		s.mu.Lock()
		tx.t.commit()
		s.mu.Unlock()
		return nil
	}
	tx.t.commit()
	payloads := hooks.build(tx.c, tx.t.hooks)
	s.mu.Unlock()
	hooks.send(context.Background(), payloads)
	return nil
}

// Rollback drops every change of the transaction.
func (tx *Tx) Rollback() {
	s := tx.e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !tx.done {
		tx.done = true
		tx.t.rollback()
	}
}

func int64sToAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
